#!/usr/bin/env bash
# `make demo`: the main job on this machine. A local Kafka-protocol broker,
# generated gateway traffic with a few malformed messages mixed in, and the
# worker consuming it through Pipelines/demo.yaml into PostgreSQL and a
# syslog collector. Run it through scripts/harness.sh (make demo does), which
# starts the throwaway PostgreSQL and rsyslog. Each capability joins this
# script as it lands.
#
# It ends with checks (events stored, alerts raised, the ledger verified,
# readiness, dead letters) and exits 1 when one fails, so a test can run it
# (DEMO_EVENTS makes it smaller). Every wait is on state, not on time.
set -euo pipefail
countersign=${1:-.build/release/countersign}
events=${DEMO_EVENTS:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-demo.XXXXXX")
broker_pid=
run_pid=
database=countersign_demo_$$
cleanup() {
    [ -n "$run_pid" ] && kill -KILL "$run_pid" 2>/dev/null
    [ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
    [ -z "${DEMO_KEEP_DATABASE:-}" ] && dropdb --if-exists "$database" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() { # check DESCRIPTION COMMAND...: prints ok or FAILED, counts failures
    local what=$1
    shift
    if "$@"; then echo "  ok: $what"; else echo "  FAILED: $what"; failures=$((failures + 1)); fi
}

# A database of its own: the demo can run again, or beside the test suite.
createdb "$database"
export PGDATABASE=$database

echo "== countersign dev-broker (librdkafka's mock cluster on loopback)"
"$countersign" dev-broker --topic mcp.audit:64 --topic mcp.otlp:1 --topic mcp.audit.dead-letter:1 --topic mcp.alerts:1 \
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
echo "== countersign generate: $events gateway events (one every 2 s of event time, 100 members), keyed by member, 7 incidents planted"
"$countersign" generate --count "$events" --seed 42 --tenants 4 --members-per-tenant 25 --spacing-ms 2000 \
    --brokers "$broker" --topic mcp.audit --incidents 7 --labels "$work/labels.jsonl"
echo "ground truth (what detection should find):"
sed 's/^/  /' "$work/labels.jsonl"

echo
echo "== a broken gateway sends three malformed messages"
printf '%s\n' '{"schema":"mcp.audit/1","event_id":"x-1","event_kind":"tool_call"' '[]' \
    '{"schema":"mcp.audit/1","event_id":"x-3","event_id":"x-4","event_kind":"tool_call"}' |
    kcat -b "$broker" -P -t mcp.audit

echo
# Real output of a real gateway: the two OTLP/HTTP bodies MCP Hangar 2.34.4
# POSTed (ExportLogsServiceRequest, protobuf), as a collector's Kafka exporter
# writes them: one message each, six records in all.
hangar_samples=Tests/GatewayFormatsTests/Fixtures/hangar
echo "== a real gateway joins: MCP Hangar's OTLP audit batches (captured from Hangar 2.34.4) on topic mcp.otlp"
kcat -b "$broker" -P -t mcp.otlp "$hangar_samples/run-jsonlines-001-logs.pb" "$hangar_samples/run-jsonlines-003-logs.pb"
echo "what the worker will make of them (countersign decode --format otlp):"
"$countersign" decode --format otlp "$hangar_samples/run-jsonlines-001-logs.pb" "$hangar_samples/run-jsonlines-003-logs.pb" \
    2>&1 | cut -c1-220 | sed 's/^/  /'

echo
echo "== countersign ledger keygen: the ledger's signing key (the auditor gets the .pub)"
"$countersign" ledger keygen --name countersign.demo/acme-audit --out "$work/ledger"

echo
cef_before=$(grep -c 'CEF:0|' "$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log" 2>/dev/null || true)
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
scrape() { curl -sf --max-time 5 "$metrics_url/metrics" || true; }
sum() { awk -v name="$1" 'index($1, name "{") == 1 || $1 == name {s += $2} END {print s + 0}'; }
previous=-1
drained=
for _ in $(seq 1 900); do
    kill -0 "$run_pid" 2>/dev/null || break
    metrics=$(scrape)
    consumed=$(sum countersign_events_consumed_total <<<"$metrics")
    dead=$(sum countersign_dead_lettered_total <<<"$metrics")
    lag=$(sum countersign_consumer_lag_messages <<<"$metrics")
    # Drained: every message taken (the malformed ones included), no lag
    # left, and the count unchanged since the previous reading.
    if [ "$consumed" -gt 2 ] && [ "$dead" -ge 3 ] && [ "$lag" -eq 0 ] && [ "$consumed" -eq "$previous" ]; then
        drained=yes
        break
    fi
    previous=$consumed
    sleep 1
done
if [ -z "$drained" ]; then
    echo "the worker did not drain the topic (it stopped, or 15 minutes passed):" >&2
    tail -n 20 "$work/run.log" >&2
    exit 1
fi
ready=$(curl -s --max-time 5 "$metrics_url/readyz" || true)
echo "-- /readyz: $ready"
metrics=$(scrape)
echo "-- /metrics, a few of its $(grep -vc '^#' <<<"$metrics" || true) series:"
grep -E '^countersign_(alerts_total|dead_lettered_total|ledger_entries|siem_messages_total|sink_write_duration_seconds_count|detection_keys)' <<<"$metrics" |
    sed 's/^/  /' | head -24 || true
kill -TERM "$run_pid"
status=0
wait "$run_pid" || status=$?
run_pid=
cat "$work/run.out"

echo
echo "== PostgreSQL: the hot tier (queries from docs/analyst-queries.md)"
psql -X -c "SELECT count(*) AS events, count(DISTINCT actor_id) AS members, min(occurred_at), max(occurred_at) FROM events"
psql -X -c "SELECT detector, max(severity) AS worst, count(*) AS alerts, count(DISTINCT actor_id) AS members FROM alerts GROUP BY detector ORDER BY alerts DESC"

psql -X -c "SELECT occurred_at, event_kind, actor_id, tool, status, policy_decision, left(event_id, 8) AS id FROM events WHERE kafka_topic = 'mcp.otlp' ORDER BY occurred_at"

echo
echo "== the SIEM: what rsyslog received over TLS (app-name, msgid, structured data, CEF), first 3 of $(wc -l <"$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log")"
head -3 "$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log" | cut -c1-300

echo
echo "== the ledger: every raw message (malformed ones too), one Merkle log per partition with signed checkpoints;"
echo "   the latest organisation checkpoint signs every log's latest checkpoint:"
org=$(find "$work/ledger-dir/org" -maxdepth 1 -type f -name '0*' | sort | tail -n 1)
[ -n "$org" ] && cat "$org"
verified=0
"$countersign" ledger verify --dir "$work/ledger-dir" --key "$work/ledger.pub" | tail -n 3 || verified=$?
id=$(psql -XAtc "SELECT event_id || ' ' || kafka_topic || '/' || kafka_partition || ' ' || ledger_index FROM events WHERE ledger_index IS NOT NULL ORDER BY occurred_at DESC LIMIT 1")
read -r event log leaf <<<"$id"
echo "an analyst found event $event in PostgreSQL (log $log, ledger_index $leaf); its inclusion proof:"
"$countersign" ledger prove --dir "$work/ledger-dir" --key "$work/ledger.pub" --log "$log" --index "$leaf" |
    grep -v '"checkpoint"' | cut -c1-120

echo
echo "== the alerts topic, read back with kcat: one mcp.audit/1 detection event per alert"
kcat -b "$broker" -C -t mcp.alerts -e -q -c 3 | cut -c1-400
echo "..."

echo
echo "== the dead-letter topic, read back with kcat: the reason travels in the headers"
kcat -b "$broker" -C -t mcp.audit.dead-letter -e -q \
    -f 'offset %o of partition %p: %h\n' | sed 's/countersign\.//g' | cut -c1-150

echo
echo "== checks"
stored=$(psql -XAtc "SELECT count(*) FROM events WHERE kafka_topic = 'mcp.audit'")
hangar=$(psql -XAtc "SELECT count(*) FILTER (WHERE event_kind = 'tool_call') || ' ' || count(*) FROM events WHERE kafka_topic = 'mcp.otlp' AND gateway = 'mcp-hangar'")
alerts=$(psql -XAtc "SELECT count(*) FROM alerts")
saved=$(psql -XAtc "SELECT count(*) FROM detection_state" 2>/dev/null || echo 0)
letters=$(kcat -b "$broker" -C -t mcp.audit.dead-letter -e -q -f '.\n' | wc -l)
consumed_total=$(grep -F 'topic="mcp.audit"' <<<"$metrics" | sum countersign_events_consumed_total)
check "the worker exited 0 on SIGTERM" [ "$status" -eq 0 ]
check "/readyz said ready while the worker ran" [ "$ready" = "ready" ]
check "PostgreSQL holds every consumed event but the 3 malformed ($stored of $consumed_total consumed)" \
    [ "$stored" -eq $((consumed_total - 3)) ]
check "Hangar's 2 OTLP messages gave its 4 tool calls and 2 server state changes ($hangar)" [ "$hangar" = "4 6" ]
check "detection raised alerts ($alerts)" [ "$alerts" -gt 0 ]
check "detection state saved in PostgreSQL for the partitions it judged ($saved rows of detection_state)" [ "$saved" -gt 0 ]
check "the dead-letter topic holds the 3 malformed messages ($letters)" [ "$letters" -eq 3 ]
check "every log of the ledger verifies against its signed checkpoint and the organisation checkpoint" [ "$verified" -eq 0 ]
cef_after=$(grep -c 'CEF:0|' "$COUNTERSIGN_TEST_SYSLOG_DIR/tls.log" || true)
check "rsyslog received the alerts as CEF over TLS ($((cef_after - ${cef_before:-0})) lines)" \
    [ "$cef_after" -gt "${cef_before:-0}" ]
if [ "$failures" -gt 0 ]; then
    echo "demo: $failures check(s) failed" >&2
    exit 1
fi
echo "demo: all checks passed"
