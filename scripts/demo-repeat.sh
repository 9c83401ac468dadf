#!/usr/bin/env bash
# Proves `make demo` on a fresh clone: clones this repository's HEAD into a
# new directory (nothing built, nothing cached from this checkout), then runs
# `make demo` there RUNS times in a row (default 3) and stops at the first
# failure. Each run's log is kept in the clone's directory; the last lines
# of each are printed. Results are recorded in RELIABILITY.md.
#
#   scripts/demo-repeat.sh [RUNS]
set -euo pipefail
runs=${1:-3}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
clone=$(mktemp -d "${TMPDIR:-/tmp}/countersign-fresh.XXXXXX")
echo "demo-repeat: cloning $(git -C "$source_dir" rev-parse --short HEAD) into $clone"
git clone -q "$source_dir" "$clone/countersign"
cd "$clone/countersign"
for run in $(seq 1 "$runs"); do
    started=$(date +%s)
    if make demo >"$clone/demo-$run.log" 2>&1; then
        echo "demo-repeat: run $run of $runs passed in $(($(date +%s) - started)) s"
        grep -E '^  (ok|FAILED):|^demo:' "$clone/demo-$run.log" | sed 's/^/    /'
    else
        echo "demo-repeat: run $run of $runs FAILED after $(($(date +%s) - started)) s; the end of its log:" >&2
        tail -n 40 "$clone/demo-$run.log" >&2
        exit 1
    fi
done
echo "demo-repeat: $runs of $runs passed (logs in $clone)"
