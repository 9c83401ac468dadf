#!/usr/bin/env bash
# Ledger appends to a local directory against appends to an S3 bucket with
# Object Lock (radosgw), on the same events, alternated, medians.
#
#   COUNTERSIGN_BIN=.build/release/countersign scripts/bench-ledger-storage.sh
#
# Uses the radosgw named by COUNTERSIGN_TEST_S3_* (scripts/harness.sh) or
# starts one of its own. BENCH_LEDGER_EVENTS (default 100000) generated
# events, appended with `ledger append` in batches of BENCH_LEDGER_BATCH
# (default 1000: one commit per batch, as the worker commits one batch of a
# partition), BENCH_LEDGER_ROUNDS rounds (default 3).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
countersign=${COUNTERSIGN_BIN:-$repo/.build/release/countersign}
: "${BENCH_LEDGER_EVENTS:=100000}"
: "${BENCH_LEDGER_BATCH:=1000}"
: "${BENCH_LEDGER_ROUNDS:=3}"
[ -x "$countersign" ] || { echo "bench-ledger-storage: $countersign is not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench-ledger.XXXXXX")
own_rgw=
cleanup() {
    [ -n "$own_rgw" ] && "$repo/scripts/radosgw.sh" stop "$work/radosgw" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${COUNTERSIGN_TEST_S3_ENDPOINT:-}" ]; then
    "$repo/scripts/radosgw.sh" start "$work/radosgw"
    own_rgw=1
    set -a
    # shellcheck disable=SC1091
    . "$work/radosgw/env"
    set +a
fi
export AWS_ENDPOINT_URL=$COUNTERSIGN_TEST_S3_ENDPOINT AWS_REGION=${COUNTERSIGN_TEST_S3_REGION:-default}
export AWS_ACCESS_KEY_ID=$COUNTERSIGN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COUNTERSIGN_TEST_S3_SECRET_KEY
bucket=countersign-bench-$RANDOM$RANDOM
"$countersign" ledger bucket --location "s3://$bucket" --retention-days 1 >/dev/null
"$countersign" ledger keygen --name countersign.bench/storage --out "$work/key" >/dev/null
"$countersign" generate --count "$BENCH_LEDGER_EVENTS" --seed 3 -o "$work/events.jsonl" 2>/dev/null

now() { date +%s.%N; }
results=()
for round in $(seq 1 "$BENCH_LEDGER_ROUNDS"); do
    for target in directory bucket; do
        case $target in
        directory) location="$work/ledger-$round" ;;
        bucket) location="s3://$bucket/round-$round" ;;
        esac
        start=$(now)
        "$countersign" ledger append --location "$location" --key-file "$work/key.key" --input "$work/events.jsonl" \
            --batch "$BENCH_LEDGER_BATCH" --checkpoint-every 100000 >/dev/null
        end=$(now)
        "$countersign" ledger verify --location "$location" --key "$work/key.pub" >/dev/null
        seconds=$(python3 -c "print(f'{$end - $start:.2f}')")
        echo "round $round $target: $BENCH_LEDGER_EVENTS entries in $seconds s (verified)"
        results+=("$target $seconds")
    done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [line.split() for line in sys.stdin]
events = int(sys.argv[1]); batch = sys.argv[2]
med = {t: statistics.median(float(s) for k, s in rows if k == t) for t in ("directory", "bucket")}
for t in ("directory", "bucket"):
    print(f"{t}: median {med[t]:.2f} s, {events / med[t]:,.0f} entries/s (batches of {batch})")
ratio = med["directory"] / med["bucket"]
print(f"bucket / directory: {ratio:.3f} of the directory rate")
' "$BENCH_LEDGER_EVENTS" "$BENCH_LEDGER_BATCH"
