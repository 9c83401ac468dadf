#!/usr/bin/env bash
# Throughput with one, two and three workers of one group on this machine.
#
#   COUNTERSIGN_BIN=.build/release/countersign scripts/harness.sh -- scripts/bench-scale-out.sh
#
# One topic of BENCH_SCALE_EVENTS generated events over BENCH_SCALE_PARTITIONS
# partitions on a dev-broker of its own, then BENCH_SCALE_ROUNDS rounds of,
# in turn, 1, 2 and 3 workers (BENCH_SCALE_WORKERS) started together in a
# fresh group, each `countersign run --exit-when-idle`: PostgreSQL (a fresh
# database per run, one writer per worker) + detection with its state in
# PostgreSQL (state_store: postgres). A run's figure is events / wall time
# from the first start to the last exit (group joins and the idle wait
# included); every run must store every event once. Medians per worker count.
#
# Output: progress and the table on stdout; the table also in $BENCH_SCALE_OUT.txt.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
countersign=${COUNTERSIGN_BIN:-.build/release/countersign}
case $countersign in /*) ;; *) countersign="$repo/$countersign" ;; esac

: "${BENCH_SCALE_EVENTS:=300000}"
: "${BENCH_SCALE_PARTITIONS:=64}"
: "${BENCH_SCALE_ROUNDS:=3}"
: "${BENCH_SCALE_WORKERS:=1 2 3}"
: "${BENCH_SCALE_IDLE:=5}"
: "${BENCH_SCALE_OUT:=/tmp/countersign-bench-scale-out-$(date +%Y%m%dT%H%M%S)}"

say() { printf '%s bench-scale-out: %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf 'bench-scale-out: %s\n' "$*" >&2; exit 1; }
[ -x "$countersign" ] || fail "$countersign is not built (make release, or set COUNTERSIGN_BIN)"
: "${PGHOST:?run through scripts/harness.sh (PostgreSQL)}"

work=$(mktemp -d /tmp/countersign-bench-scale.XXXXXX)
broker_pid=
cleanup() {
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

topic=bench-scale
"$countersign" dev-broker --bootstrap-file "$work/bootstrap" --topic "$topic:$BENCH_SCALE_PARTITIONS" \
    --topic "$topic.dead-letter:1" >/dev/null 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
broker=$(cat "$work/bootstrap")
say "dev-broker on $broker; producing $BENCH_SCALE_EVENTS events over $BENCH_SCALE_PARTITIONS partitions"
"$countersign" generate --count "$BENCH_SCALE_EVENTS" --seed 31 --tenants 8 --members-per-tenant 1000 \
    --spacing-ms 300 --incidents 8 --brokers "$broker" --topic "$topic" 2>/dev/null
total=$("$countersign" generate --count "$BENCH_SCALE_EVENTS" --seed 31 --tenants 8 --members-per-tenant 1000 \
    --spacing-ms 300 --incidents 8 | wc -l)

results="$work/results"
: >"$results"
for round in $(seq 1 "$BENCH_SCALE_ROUNDS"); do
    for workers in $BENCH_SCALE_WORKERS; do
        database="bench_scale_${round}_${workers}"
        PGOPTIONS="-c client_min_messages=warning" psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $database" \
            -c "CREATE DATABASE $database" >/dev/null
        conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$database"
        cat >"$work/pipeline.yaml" <<YAML
source:
  kafka:
    bootstrap.servers: $broker
    group.id: bench-scale-$round-$workers
  topics: [$topic]
  dead_letter_topic: $topic.dead-letter
  batch_size: 2000
detectors:
  state_store: postgres
  snapshot_interval_seconds: 30
sinks:
  - type: postgres
    conninfo: "$conninfo"
    retention_days: 3650
    writers: 1
YAML
        # The schema first, so that no worker's first batch waits on another's migration.
        "$countersign" migrate --pipeline "$work/pipeline.yaml" >/dev/null 2>&1 || true
        start=$(date +%s.%N)
        pids=()
        for index in $(seq 1 "$workers"); do
            "$countersign" run --pipeline "$work/pipeline.yaml" --exit-when-idle "$BENCH_SCALE_IDLE" \
                >"$work/w$index.out" 2>"$work/w$index.err" &
            pids+=($!)
        done
        for pid in "${pids[@]}"; do wait "$pid" || fail "a worker failed: $(tail -3 "$work"/w*.err)"; done
        end=$(date +%s.%N)
        stored=$(psql -qAtX -d "$database" -c "SELECT count(DISTINCT event_id) FROM events")
        [ "$stored" = "$total" ] || fail "$workers worker(s) stored $stored of $total events"
        rate=$(echo "$total / ($end - $start)" | bc -l)
        printf '%s %s\n' "$workers" "$rate" >>"$results"
        say "round $round, $workers worker(s): $(printf '%.0f' "$rate") events/s ($(printf '%.1f' "$(echo "$end - $start" | bc -l)") s)"
        psql -qAtX -d postgres -c "DROP DATABASE $database" >/dev/null
    done
done

{
    echo "workers  events/s (median of $BENCH_SCALE_ROUNDS)  runs"
    for workers in $BENCH_SCALE_WORKERS; do
        runs=$(awk -v w="$workers" '$1 == w { printf "%.0f ", $2 }' "$results")
        median=$(awk -v w="$workers" '$1 == w { print $2 }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        printf '%-8s %-28.0f %s\n' "$workers" "$median" "$runs"
    done
    echo "$total events, $BENCH_SCALE_PARTITIONS partitions, postgres sink + detection (state in PostgreSQL)"
} | tee "$BENCH_SCALE_OUT.txt"
