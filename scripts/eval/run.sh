#!/usr/bin/env bash
# Detection quality on traffic nobody tuned the detectors to: every model in
# scripts/eval/models/ (each written apart from `countersign generate`, from
# the detectors and from the others) writes events, ground-truth labels and a
# summary; `countersign detect` with default settings writes alerts;
# score.py (written apart from both) matches them. The figure that counts is
# the worst model. EVALUATION.md says which model is held out of tuning.
#
#   scripts/eval/run.sh BINARY [SEEDS...]      (make eval; default seed 1)
#
# EVAL_SCALE scales every model (default 1.0); EVAL_MODELS picks models.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
countersign=$(realpath "${1:?usage: run.sh BINARY [SEEDS...]}")
shift
seeds=("${@:-1}")
scale=${EVAL_SCALE:-1.0}
models=${EVAL_MODELS:-$(cd "$here/models" && ls -1 ./*.py | sed 's|^\./||; s|\.py$||' | tr '\n' ' ')}
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-eval.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=()
for model in $models; do
    for seed in "${seeds[@]}"; do
        out=$work/$model-$seed
        mkdir -p "$out"
        started=$(date +%s)
        python3 "$here/models/$model.py" --seed "$seed" --out "$out" --scale "$scale" >"$out/model.log" 2>&1
        generated=$(date +%s)
        "$countersign" detect --quiet --input "$out/events.jsonl" --output "$out/alerts.jsonl"
        detected=$(date +%s)
        echo
        echo "== $model, seed $seed (model $((generated - started)) s, detect $((detected - generated)) s)"
        python3 "$here/score.py" "$out/labels.jsonl" "$out/alerts.jsonl" "$out/summary.json"
        python3 "$here/score.py" "$out/labels.jsonl" "$out/alerts.jsonl" "$out/summary.json" --json \
            >"$work/$model-$seed.score.json"
        results+=("$work/$model-$seed.score.json")
    done
done
echo
python3 "$here/worst.py" "${results[@]}"
