#!/usr/bin/env bash
# `make bench-replay`: `countersign replay` against `run` on the same events.
#
# One dev-broker topic of EVENTS generated events (default 1,000,000) over
# PARTITIONS partitions (default 192: the dev-broker keeps about 5 MB per
# partition); `run` with detection, the ledger and a null sink consumes it
# (timed from start to the end of the topic, the idle wait taken off); then
# `replay` reads the same events from Kafka and from the ledger. Prints the
# three times, the rates and the ratios, and whether the three raised the
# same alert ids.
set -euo pipefail
countersign=${COUNTERSIGN_BIN:-.build/release/countersign}
events=${EVENTS:-1000000}
partitions=${PARTITIONS:-192}
idle=5
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench-replay.XXXXXX")
broker_pid=
cleanup() {
    [ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$countersign" dev-broker --topic "bench:$partitions" --topic bench.alerts:1 --topic bench.dl:1 \
    --bootstrap-file "$work/bootstrap" >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
broker=$(cat "$work/bootstrap")
"$countersign" generate --count "$events" --seed 7 --tenants 4 --members-per-tenant 250 --spacing-ms 200 \
    --incidents 12 --brokers "$broker" --topic bench 2>"$work/generate.log"
"$countersign" ledger keygen --name bench.replay/ledger --out "$work/ledger" >/dev/null
cat >"$work/pipeline.yaml" <<YAML
source:
  kafka: {bootstrap.servers: "$broker", group.id: bench-live}
  topics: [bench]
  dead_letter_topic: bench.dl
  batch_size: 5000
detectors:
  alerts_topic: bench.alerts
ledger:
  directory: $work/ledger-dir
  key_file: $work/ledger.key
sinks:
  - type: null
YAML
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$@"; }
ids() { python3 -c "import sys, json; print(len(set(json.loads(l)['event_id'] for l in sys.stdin if l.strip())))"; }
now() { date +%s.%N; }

start=$(now)
"$countersign" run --pipeline "$work/pipeline.yaml" --exit-when-idle "$idle" >"$work/run.out" 2>"$work/run.log"
end=$(now)
run_seconds=$(python3 -c "print(f'{$end - $start - $idle:.1f}')")
kcat -b "$broker" -C -t bench.alerts -e -q -f '%s\n' >"$work/live.jsonl"

start=$(now)
"$countersign" replay --pipeline "$work/pipeline.yaml" --quiet --alerts-out "$work/kafka.jsonl"
kafka_seconds=$(seconds "$start" "$(now)")

start=$(now)
"$countersign" replay --pipeline "$work/pipeline.yaml" --quiet --from-ledger "$work/ledger-dir" \
    --key "$work/ledger.pub" --alerts-out "$work/ledger.jsonl"
ledger_seconds=$(seconds "$start" "$(now)")

same() {
    python3 - "$1" "$2" <<'PY'
import json, sys
def ids(path):
    return sorted(json.loads(l)["event_id"] for l in open(path) if l.strip())
print("same" if ids(sys.argv[1]) == ids(sys.argv[2]) else "DIFFERENT")
PY
}
rate() { python3 -c "print(f'{$events / $1:,.0f}')"; }
echo "bench-replay: $events events over $partitions partitions; alerts live $(ids <"$work/live.jsonl")"
echo "bench-replay: run (detection + ledger, null sink)  ${run_seconds} s  $(rate "$run_seconds") events/s"
echo "bench-replay: replay from Kafka                    ${kafka_seconds} s  $(rate "$kafka_seconds") events/s  alerts $(same "$work/live.jsonl" "$work/kafka.jsonl") as live"
echo "bench-replay: replay from the ledger (verified)    ${ledger_seconds} s  $(rate "$ledger_seconds") events/s  alerts $(same "$work/live.jsonl" "$work/ledger.jsonl") as live"
python3 -c "print(f'bench-replay: ratios to run: kafka {$run_seconds / $kafka_seconds:.2f}x, ledger {$run_seconds / $ledger_seconds:.2f}x')"
