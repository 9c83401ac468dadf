#!/usr/bin/env bash
# Real MCP Hangar audit records into Kafka, through a real OpenTelemetry
# collector, for end-to-end tests:
#
#   MCP client (python mcp ClientSession, hangar/client.py)
#     -> MCP Hangar 2.34.4 (stdio; hangar/config.yaml) -> stub MCP server (hangar/stub_server.py)
#   Hangar's OTLP audit exporter (http/protobuf)
#     -> rotel (OpenTelemetry collector, Kafka exporter) -> --otlp-topic
#   Hangar's JSON-lines compliance export (MCP_COMPLIANCE_FORMAT=jsonlines) to a file
#     -> produced line by line (bytes unchanged) -> --jsonl-topic
#
#   scripts/gateways/hangar-otlp.sh --brokers HOST:PORT --otlp-topic T1 --jsonl-topic T2
#       [--encoding protobuf|json] [--venv DIR] [--calls N] [--workdir DIR]
#
#   --encoding  rotel's Kafka format: protobuf (default: each message one
#               ExportLogsServiceRequest) or json (each message a JSON array
#               of ResourceLogs, rotel's serde form: camelCase, hex trace and
#               span ids, 64-bit integers as strings; not OTLP/JSON's
#               {"resourceLogs": [...]}).
#   --venv      Python venv for Hangar, rotel and confluent-kafka, created or
#               brought to the pinned versions when needed
#               (default .build/gateways-venv).
#   --calls     hangar_call calls made, cycling through echo, read_file, fail,
#               delete_everything (denied by the deny list), no_such_tool
#               (refused by request validation: no audit record) (default 5).
#   --workdir   keep Hangar's output here (compliance.jsonl, hangar.log,
#               rotel.log, client.out); by default a temporary directory,
#               removed on success and kept on failure.
#
# The topics are not created: the broker must have them or create them on
# first produce (the dev-broker, librdkafka's mock cluster, auto-creates with
# 4 partitions). rotel keys every message with an empty key; JSON lines are
# keyed by their user_id. Records of one run share a trace per call and the
# resource attribute service.instance.id.
#
# Prints one line on stdout:
#   hangar-otlp: calls=5 jsonl_lines=6 otlp_messages=2 otlp_records=6 encoding=protobuf seconds=9
# otlp_messages/otlp_records: what landed on --otlp-topic past its high
# watermarks taken at the start (another producer on that topic would be
# counted too). Fails unless the records equal the JSON lines (Hangar writes
# the same events to both).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/scripts/gateways/hangar"

brokers="" otlp_topic="" jsonl_topic="" encoding=protobuf venv="$repo/.build/gateways-venv" calls=5 workdir=""
usage() { sed -n '/^#   scripts/,/^#       \[--encoding/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --brokers) brokers=${2:?}; shift 2 ;;
        --otlp-topic) otlp_topic=${2:?}; shift 2 ;;
        --jsonl-topic) jsonl_topic=${2:?}; shift 2 ;;
        --encoding) encoding=${2:?}; shift 2 ;;
        --venv) venv=${2:?}; shift 2 ;;
        --calls) calls=${2:?}; shift 2 ;;
        --workdir) workdir=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "hangar-otlp: unknown argument $1" >&2; usage ;;
    esac
done
if [ -z "$brokers" ] || [ -z "$otlp_topic" ] || [ -z "$jsonl_topic" ]; then usage; fi
case $encoding in protobuf|json) ;; *) echo "hangar-otlp: --encoding is protobuf or json" >&2; exit 2 ;; esac
case $calls in ''|*[!0-9]*|0) echo "hangar-otlp: --calls is a positive integer" >&2; exit 2 ;; esac
case $venv in /*) ;; *) venv="$PWD/$venv" ;; esac

started=$(date +%s)
fail() { echo "hangar-otlp: $*" >&2; exit 1; }

# --- venv: pinned, idempotent, quiet (one line on stderr when it installs) ---
requirements='mcp-hangar[opentelemetry]==2.34.4 mcp==2.3.0 rotel==0.0.1a15 confluent-kafka==2.16.1'
if [ "$(cat "$venv/.hangar-otlp-requirements" 2>/dev/null)" != "$requirements" ]; then
    echo "hangar-otlp: installing $requirements into $venv" >&2
    log=$(mktemp)
    # shellcheck disable=SC2086 # one word per requirement
    if ! { python3 -m venv "$venv" \
        && "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -f "$log"
        fail "installing into $venv failed"
    fi
    rm -f "$log"
    echo "$requirements" >"$venv/.hangar-otlp-requirements"
fi
py="$venv/bin/python"
rotel=$("$py" -c 'import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), "rotel-agent"))')
[ -x "$rotel" ] || fail "no rotel-agent binary at $rotel"

# --- scratch directory and cleanup ---
if [ -n "$workdir" ]; then
    mkdir -p "$workdir"; workdir=$(cd "$workdir" && pwd); keep=1
else
    workdir=$(mktemp -d /tmp/hangar-otlp.XXXXXX); keep=0
fi
rotel_pid="" client_pid=""
alive() {
    local p
    for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}
descendants() {
    local p
    for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done
}
cleanup() {
    local rc=$?
    # The client, Hangar (in a session of its own) and the stub server, by pid.
    if [ -n "$client_pid" ]; then
        local pids
        pids="$client_pid $(descendants "$client_pid")"
        # shellcheck disable=SC2086 # a list of pids
        kill -TERM $pids 2>/dev/null || true
        for _ in $(seq 100); do
            # shellcheck disable=SC2086
            alive $pids || break
            sleep 0.1
        done
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
    fi
    if [ -n "$rotel_pid" ] && kill -0 "$rotel_pid" 2>/dev/null; then
        kill -TERM "$rotel_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$rotel_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$rotel_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 0 ] && [ -z "$(ls -A "$workdir")" ]; then
        rmdir "$workdir"
    elif [ "$rc" -ne 0 ]; then
        echo "hangar-otlp: failed; logs kept in $workdir" >&2
    elif [ "$keep" = 0 ]; then
        rm -rf "$workdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kio() { "$py" "$here/kafka_io.py" "$@"; }

# --- Kafka reachable; where the OTLP topic ends now ---
kio check "$brokers" || fail "Kafka at $brokers is not reachable"
start_offsets=$(kio offsets "$brokers" "$otlp_topic") || fail "reading the high watermarks of $otlp_topic failed"

# --- rotel on free loopback ports: logs to Kafka, traces and metrics dropped ---
read -r http_port grpc_port < <("$py" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
# Named exporters take their settings from ROTEL_EXPORTER_<NAME>_* variables.
# Runs a command with every signal unblocked and SIGTERM/SIGINT at their
# defaults: a parent (a test runner) may have blocked or ignored them, and
# the children would inherit that and never stop on SIGTERM.
unmasked=("$py" -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_SETMASK, [])
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(number, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

# Batching: rotel's --logs-batch-timeout (default 200ms) / --logs-batch-max-size
# (8192), then librdkafka's linger (5 ms).
"${unmasked[@]}" env ROTEL_EXPORTER_KAFKA_BROKERS="$brokers" \
    ROTEL_EXPORTER_KAFKA_LOGS_TOPIC="$otlp_topic" \
    ROTEL_EXPORTER_KAFKA_FORMAT="$encoding" \
    ROTEL_EXPORTER_KAFKA_ACKS=all \
    "$rotel" start \
    --otlp-http-endpoint "127.0.0.1:$http_port" --otlp-grpc-endpoint "127.0.0.1:$grpc_port" \
    --exporters kafka:kafka,drop:blackhole \
    --exporters-logs kafka --exporters-traces drop --exporters-metrics drop \
    --logs-batch-timeout 50ms \
    --pid-file "$workdir/rotel.pid" --log-file "$workdir/rotel.log" \
    >"$workdir/rotel.out" 2>&1 &
rotel_pid=$!
for _ in $(seq 100); do
    kill -0 "$rotel_pid" 2>/dev/null || { tail -n 20 "$workdir/rotel.out" >&2; fail "rotel exited at start"; }
    (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null || fail "rotel does not listen on 127.0.0.1:$http_port"

# --- Hangar behind the client; exits when the client closes its stdin ---
sed -e "s|@PYTHON@|$py|" -e "s|@STUB@|$here/stub_server.py|" "$here/config.yaml" >"$workdir/config.yaml"
jsonl="$workdir/compliance.jsonl"
rm -f "$jsonl"
(cd "$workdir" && exec env \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$http_port" \
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
    OTEL_SERVICE_NAME=mcp-hangar \
    MCP_COMPLIANCE_FORMAT=jsonlines MCP_COMPLIANCE_OUTPUT="$jsonl" \
    "${unmasked[@]}" timeout $((120 + calls * 5)) "$py" "$here/client.py" "$venv/bin/mcp-hangar" "$workdir/config.yaml" "$calls" \
    >"$workdir/client.out" 2>"$workdir/hangar.log") &
client_pid=$!
# In the background so that a signal to this script is handled at once.
if ! wait "$client_pid"; then
    client_pid=""
    tail -n 5 "$workdir/client.out" >&2
    tail -n 20 "$workdir/hangar.log" >&2
    fail "the MCP client or Hangar failed"
fi
client_pid=""
grep -q "^CALLS $calls\$" "$workdir/client.out" || fail "the client did not make its $calls calls (see $workdir/client.out)"
# The SDK's BatchLogRecordProcessor exports what it holds at shutdown.
grep -q audit_log_export_shutdown_complete "$workdir/hangar.log" \
    || fail "Hangar did not shut its OTLP audit export down cleanly; records may be lost (see $workdir/hangar.log)"
[ -s "$jsonl" ] || fail "Hangar wrote no JSON lines to $jsonl"
lines=$(grep -c . "$jsonl")

# --- wait until rotel has put them all on Kafka, then stop it ---
read -r messages records < <(kio count "$brokers" "$otlp_topic" "$start_offsets" "$encoding" "$lines" 30) \
    || fail "counting what landed on $otlp_topic failed"
kill -TERM "$rotel_pid"
for _ in $(seq 100); do kill -0 "$rotel_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$rotel_pid" 2>/dev/null && fail "rotel did not stop within 10 s of SIGTERM"
wait "$rotel_pid" || fail "rotel exited with status $? (see $workdir/rotel.out)"
rotel_pid=""
read -r messages records < <(kio count "$brokers" "$otlp_topic" "$start_offsets" "$encoding") \
    || fail "counting what landed on $otlp_topic failed"
if grep -q -E 'ERROR|Failed to send' "$workdir/rotel.out"; then
    grep -E 'ERROR|Failed to send' "$workdir/rotel.out" | tail -n 5 >&2
    fail "rotel reported errors"
fi
[ "$records" -eq "$lines" ] \
    || fail "$otlp_topic got $records OTLP records in $messages messages, Hangar wrote $lines JSON lines"

# --- the JSON lines, one message each, unchanged ---
produced=$(kio produce "$brokers" "$jsonl_topic" "$jsonl") || fail "producing $jsonl to $jsonl_topic failed"
[ "$produced" -eq "$lines" ] || fail "produced $produced of $lines JSON lines"

echo "hangar-otlp: calls=$calls jsonl_lines=$lines otlp_messages=$messages otlp_records=$records encoding=$encoding seconds=$(($(date +%s) - started))"
