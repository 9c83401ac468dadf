#!/usr/bin/env bash
# `make demo`: the main job on this machine. A local Kafka-protocol broker,
# generated gateway traffic with a few malformed messages mixed in, and the
# worker consuming it through Pipelines/demo.yaml into PostgreSQL and a
# syslog collector. Run it through scripts/harness.sh (make demo does), which
# starts the throwaway PostgreSQL and rsyslog. Each capability joins this
# script as it lands.
set -euo pipefail
countersign=${1:-.build/release/countersign}
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-demo.XXXXXX")
broker_pid=
cleanup() {
    [ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "== countersign dev-broker (librdkafka's mock cluster on loopback)"
"$countersign" dev-broker --topic mcp.audit:64 --topic mcp.audit.dead-letter:1 --topic mcp.alerts:1 \
    --bootstrap-file "$work/bootstrap" >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
broker=$(cat "$work/bootstrap")
cat "$work/broker.log"

echo
# The mock broker keeps about 5 MB per partition and drops the oldest beyond
# that: of 100,000 events (55 MB over 64 partitions, unevenly: keys are
# members) about 97% stay, so the worker can start after the generator is done.
# One event every 2 s of event time spreads them over 56 hours: enough for
# members' baselines and hours of work to be learnt before the incidents.
echo "== countersign generate: 100,000 gateway events (56 hours of a 100-member organisation), keyed by member, 7 incidents planted"
"$countersign" generate --count 100000 --seed 42 --tenants 4 --members-per-tenant 25 --spacing-ms 2000 \
    --brokers "$broker" --topic mcp.audit --incidents 7 --labels "$work/labels.jsonl"
echo "ground truth (what detection should find):"
sed 's/^/  /' "$work/labels.jsonl"

echo
echo "== a broken gateway sends three malformed messages"
printf '%s\n' '{"schema":"mcp.audit/1","event_id":"x-1","event_kind":"tool_call"' '[]' \
    '{"schema":"mcp.audit/1","event_id":"x-3","event_id":"x-4","event_kind":"tool_call"}' |
    kcat -b "$broker" -P -t mcp.audit

echo
echo "== countersign ledger keygen: the ledger's signing key (the auditor gets the .pub)"
"$countersign" ledger keygen --name countersign.demo/acme-audit --out "$work/ledger"

echo
echo "== countersign run --pipeline Pipelines/demo.yaml (stopped with SIGTERM once the topic is drained)"
: "${COUNTERSIGN_TEST_SYSLOG_TLS:?run the demo through scripts/harness.sh (make demo)}"
COUNTERSIGN_KAFKA=$broker COUNTERSIGN_STATE=$work/state \
    COUNTERSIGN_LEDGER=$work/ledger-dir COUNTERSIGN_LEDGER_KEY=$work/ledger.key \
    SIEM_HOST=${COUNTERSIGN_TEST_SYSLOG_TLS%:*} SIEM_PORT=${COUNTERSIGN_TEST_SYSLOG_TLS##*:} \
    SIEM_TLS=$COUNTERSIGN_TEST_SYSLOG_DIR/tls COUNTERSIGN_METRICS=$COUNTERSIGN_TEST_METRICS_LISTEN \
    "$countersign" run --pipeline Pipelines/demo.yaml 2>"$work/run.log" >"$work/run.out" &
run_pid=$!
# The worker stays up until the demo has read /readyz and /metrics (it
# drains the topic in seconds; an idle exit raced the reads below), then
# stops on SIGTERM as it would under systemd or Kubernetes.
# While it runs: what Prometheus (started by the harness) scrapes.
metrics_url=http://$COUNTERSIGN_TEST_METRICS_LISTEN
previous=-1
for _ in $(seq 1 600); do
    consumed=$( (curl -sf "$metrics_url/metrics" || true) | awk '/^countersign_events_consumed_total/ {s += $2} END {print s + 0}')
    # Drained: something consumed, and nothing new for two seconds.
    [ "${consumed:-0}" -gt 0 ] && [ "$consumed" -eq "$previous" ] && break
    previous=$consumed
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 2
done
if ! kill -0 "$run_pid" 2>/dev/null; then
    echo "the worker stopped before the topic was drained:" >&2
    tail -n 20 "$work/run.log" >&2
    exit 1
fi
echo "-- /readyz: $(curl -s "$metrics_url/readyz")"
echo "-- /metrics, a few of its $(curl -s "$metrics_url/metrics" | grep -vc '^#') series:"
curl -s "$metrics_url/metrics" | grep -E '^countersign_(alerts_total|dead_lettered_total|ledger_entries|siem_messages_total|sink_write_duration_seconds_count|detection_keys)' |
    sed 's/^/  /' | head -24
kill -TERM "$run_pid"
wait "$run_pid"
cat "$work/run.out"

echo
echo "== PostgreSQL: the hot tier (queries from docs/analyst-queries.md)"
psql -X -c "SELECT count(*) AS events, count(DISTINCT actor_id) AS members, min(occurred_at), max(occurred_at) FROM events"
psql -X -c "SELECT detector, max(severity) AS worst, count(*) AS alerts, count(DISTINCT actor_id) AS members FROM alerts GROUP BY detector ORDER BY alerts DESC"

echo
echo "== the SIEM: what rsyslog received over TLS (app-name, msgid, structured data, CEF), first 3 of $(wc -l <"$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log")"
head -3 "$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log" | cut -c1-300

echo
echo "== the ledger: every raw message (malformed ones too) in a Merkle tree with a signed checkpoint"
cat "$work/ledger-dir/checkpoint"
"$countersign" ledger verify --dir "$work/ledger-dir" --key "$work/ledger.pub"
id=$(psql -XAtc "SELECT event_id || ' ' || ledger_index FROM events WHERE ledger_index IS NOT NULL ORDER BY occurred_at DESC LIMIT 1")
echo "an analyst found event ${id% *} in PostgreSQL (ledger_index ${id#* }); its inclusion proof:"
"$countersign" ledger prove --dir "$work/ledger-dir" --key "$work/ledger.pub" --index "${id#* }" |
    grep -v '"checkpoint"' | cut -c1-120

echo
echo "== the alerts topic, read back with kcat: one mcp.audit/1 detection event per alert"
kcat -b "$broker" -C -t mcp.alerts -e -q -c 3 | cut -c1-400
echo "..."

echo
echo "== the dead-letter topic, read back with kcat: the reason travels in the headers"
kcat -b "$broker" -C -t mcp.audit.dead-letter -e -q \
    -f 'offset %o of partition %p: %h\n' | sed 's/countersign\.//g' | cut -c1-150
