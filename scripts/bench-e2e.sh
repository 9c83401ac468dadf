#!/usr/bin/env bash
# End-to-end benchmark: Countersign against the peers a user would reach for,
# on one topic filled once, in alternating runs, medians reported.
#
#   COUNTERSIGN_BIN=.build/release/countersign scripts/harness.sh -- scripts/bench-e2e.sh
#
# Needs the harness (PostgreSQL, rsyslog, a Prometheus scraping the metrics
# address). Builds nothing. Phases (BENCH_E2E_PHASES, default all three):
#
#   e2e      A topic of BENCH_E2E_EVENTS generated mcp.audit/1 events in
#            BENCH_E2E_PARTITIONS partitions on a dev-broker of its own, then
#            BENCH_E2E_ROUNDS rounds of, in turn:
#            (a) countersign run --exit-when-idle: PostgreSQL (BENCH_E2E_WRITERS
#                writers) + ledger + SIEM alerts over TCP to the harness's
#                rsyslog + /metrics + detection; a fresh group, emptied tables,
#                a fresh ledger each run;
#            (b) the Python peer (../shared/peers/python_pipeline.py) into a
#                table of the events table's shape, a fresh group each run;
#            (c) psql \copy of the rows (a) stored, in BENCH_E2E_WRITERS
#                parallel psql processes, into an emptied table of that shape.
#   consume  the worker with a null sink only (no detection, no ledger) against
#            kcat -C -e reading the same topic, alternated.
#   latency  a producer paced at BENCH_LATENCY_RATE events/s for
#            BENCH_LATENCY_SECONDS, generated events with planted incidents,
#            while `run` (PostgreSQL + ledger + SIEM + detection + metrics)
#            consumes; a TCP collector stamps each CEF alert on arrival;
#            latency = arrival - produce time of the event that fired it.
#
# Events per second are events / wall time of the whole process, from its
# start to its exit, group join and the idle wait of --exit-when-idle
# included; the parts are reported beside it.
#
# Output: progress on stdout, the table at the end, and under /tmp
# ($BENCH_E2E_OUT, default /tmp/countersign-bench-e2e-<time>): .jsonl (every
# raw figure, one JSON object per measurement) and .txt (the table).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bench="$repo/scripts/bench"

countersign=${COUNTERSIGN_BIN:-.build/release/countersign}
case $countersign in /*) ;; *) countersign="$repo/$countersign" ;; esac

: "${BENCH_E2E_PHASES:=e2e consume latency}"
: "${BENCH_E2E_EVENTS:=900000}"
: "${BENCH_E2E_PARTITIONS:=128}"
: "${BENCH_E2E_ROUNDS:=3}"
: "${BENCH_E2E_WRITERS:=2}"
: "${BENCH_E2E_IDLE:=3}"
# 40,000 members (20 tenants x 2,000) spread the member-keyed events evenly
# enough over 128 partitions for the dev-broker's ~5 MB per partition (about
# 8,600 events of this size) to hold them all; with 10,000 members the
# busiest partitions overflow and the broker drops their oldest events.
: "${BENCH_E2E_TENANTS:=20}"
: "${BENCH_E2E_MEMBERS_PER_TENANT:=2000}"
: "${BENCH_E2E_SPACING_MS:=300}"
: "${BENCH_E2E_INCIDENTS:=14}"
: "${BENCH_E2E_SEED:=42}"
: "${BENCH_E2E_TIMEOUT:=1800}"
: "${BENCH_E2E_POLL_S:=0.25}"
: "${BENCH_LATENCY_RATE:=10000}"
: "${BENCH_LATENCY_SECONDS:=30}"
: "${BENCH_LATENCY_PARTITIONS:=64}"
: "${BENCH_LATENCY_INCIDENTS:=14}"
: "${BENCH_LATENCY_TENANTS:=4}"
: "${BENCH_LATENCY_MEMBERS_PER_TENANT:=25}"
: "${BENCH_LATENCY_SPACING_MS:=2000}"
: "${BENCH_PEER_SCRIPT:=$repo/../shared/peers/python_pipeline.py}"
: "${BENCH_E2E_OUT:=/tmp/countersign-bench-e2e-$(date +%Y%m%dT%H%M%S)}"

say() { printf '%s bench-e2e: %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf 'bench-e2e: %s\n' "$*" >&2; exit 1; }
has_phase() { case " $BENCH_E2E_PHASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ -x "$countersign" ] || fail "$countersign is not built (make release, or set COUNTERSIGN_BIN)"
: "${PGHOST:?run through scripts/harness.sh (PostgreSQL)}"
: "${COUNTERSIGN_TEST_SYSLOG_TCP:?run through scripts/harness.sh (rsyslog)}"
: "${COUNTERSIGN_TEST_METRICS_LISTEN:?run through scripts/harness.sh (metrics address)}"
if [ "$BENCH_E2E_WRITERS" -lt 1 ] || [ "$BENCH_E2E_WRITERS" -gt 16 ]; then fail "BENCH_E2E_WRITERS must be 1 to 16"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench-e2e.XXXXXX")
raw="$BENCH_E2E_OUT.jsonl"
table="$BENCH_E2E_OUT.txt"
: >"$raw"
bg_pids=()
broker_pid=

cleanup() {
    local status=$?
    for pid in "${bg_pids[@]}" $broker_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${bg_pids[@]}" $broker_pid; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${BENCH_E2E_KEEP:-0}" = 1 ]; then
        echo "bench-e2e: work files kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Forgets a background process once it has been waited for.
forget() {
    local kept=() pid
    for pid in "${bg_pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
    bg_pids=("${kept[@]}")
}

# Runs a command and waits for it, in the background so that a signal to this
# script stops it at once (the trap above sends it SIGTERM) instead of after it.
run_fg() {
    local pid status=0
    "$@" &
    pid=$!
    bg_pids+=("$pid")
    wait "$pid" || status=$?
    forget "$pid"
    return "$status"
}

# ---------------------------------------------------------------- tools

# The peer and the helpers need confluent-kafka and psycopg 3 for the system
# interpreter (the peer's own instructions: Debian's python3-confluent-kafka
# and python3-psycopg, which use the same librdkafka as the worker). Debian's
# Python refuses a system-wide pip install (PEP 668), so when apt cannot help
# they go into a virtual environment of their own, from PyPI.
PY=${BENCH_PYTHON:-/usr/bin/python3}
ensure_python() {
    "$PY" -c 'import confluent_kafka, psycopg' 2>/dev/null && return 0
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    if command -v apt-get >/dev/null; then
        say "installing python3-confluent-kafka and python3-psycopg (apt)"
        $sudo apt-get install -y python3-confluent-kafka python3-psycopg >"$work/apt-python.log" 2>&1 ||
            { $sudo apt-get update >>"$work/apt-python.log" 2>&1 &&
                $sudo apt-get install -y python3-confluent-kafka python3-psycopg >>"$work/apt-python.log" 2>&1; } ||
            true
        "$PY" -c 'import confluent_kafka, psycopg' 2>/dev/null && return 0
    fi
    local venv=${XDG_CACHE_HOME:-$HOME/.cache}/countersign-bench-venv
    say "installing confluent-kafka and psycopg with pip into $venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q confluent-kafka "psycopg[binary]" || fail "pip install confluent-kafka psycopg failed"
    PY="$venv/bin/python"
    "$PY" -c 'import confluent_kafka, psycopg' || fail "confluent-kafka and psycopg are still missing"
}

ensure_kcat() {
    command -v kcat >/dev/null && return 0
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    say "installing kcat (apt)"
    $sudo apt-get install -y kcat >"$work/apt-kcat.log" 2>&1 ||
        { $sudo apt-get update >>"$work/apt-kcat.log" 2>&1 && $sudo apt-get install -y kcat >>"$work/apt-kcat.log" 2>&1; } ||
        fail "cannot install kcat (see $work/apt-kcat.log)"
}

command -v psql >/dev/null || fail "psql is missing (scripts/setup.sh installs postgresql)"
ensure_python
ensure_kcat

# ---------------------------------------------------------------- helpers

now_ns() { date +%s%N; }
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }
json_get() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
# record KIND JSON-FIELDS...: appends one measurement to the raw file.
record() { "$PY" "$bench/record.py" "$raw" "$@"; }

# start_broker NAME TOPIC:PARTITIONS...: a dev-broker of this benchmark's own
# (the harness's has 8 partitions); sets $broker.
start_broker() {
    local name=$1 args=() spec
    shift
    for spec in "$@"; do args+=(--topic "$spec"); done
    rm -f "$work/$name.bootstrap"
    "$countersign" dev-broker "${args[@]}" --bootstrap-file "$work/$name.bootstrap" >"$work/$name.broker.log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 100); do
        [ -s "$work/$name.bootstrap" ] && break
        kill -0 "$broker_pid" 2>/dev/null || { cat "$work/$name.broker.log" >&2; fail "the dev-broker stopped"; }
        sleep 0.1
    done
    [ -s "$work/$name.bootstrap" ] || fail "the dev-broker did not start"
    broker=$(cat "$work/$name.bootstrap")
    say "dev-broker on $broker: $*"
}

stop_broker() {
    [ -n "$broker_pid" ] || return 0
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=
}

# The smallest count of events any sink of a running worker acknowledged,
# from its /metrics; 0 when it does not answer.
least_acknowledged() {
    "$PY" - "http://$COUNTERSIGN_TEST_METRICS_LISTEN/metrics" <<'PY'
import sys, urllib.request
try:
    text = urllib.request.urlopen(sys.argv[1], timeout=2).read().decode()
except Exception:
    print(0); sys.exit()
sinks = {}
for line in text.splitlines():
    if line.startswith("countersign_sink_events_total") and 'sink="' in line:
        name = line.split('sink="', 1)[1].split('"', 1)[0]
        sinks[name] = sinks.get(name, 0) + float(line.rsplit(" ", 1)[1])
print(int(min(sinks.values())) if sinks else 0)
PY
}

# The moment (seconds since the start) a worker's log says the group assigned
# partitions; empty if it never did.
assigned_at() { awk '/partitions assigned/ { print $1; exit }' "$1"; }

# Figures of the worker's closing report ("run: N consumed, M acknowledged by
# every sink, ...", "run: N alerts (...)", "run: siem N sent, ...", "run: the
# ledger holds N entries"); empty when the line is missing.
report_consumed() { sed -n 's/^run: \([0-9][0-9]*\) consumed.*/\1/p' "$1" | head -n 1; }
report_acknowledged() { sed -n 's/^run: [0-9]* consumed, \([0-9][0-9]*\) acknowledged.*/\1/p' "$1" | head -n 1; }
report_alerts() { sed -n 's/^run: \([0-9][0-9]*\) alerts.*/\1/p' "$1" | head -n 1; }
report_siem_sent() { sed -n 's/^run: siem \([0-9][0-9]*\) sent.*/\1/p' "$1" | head -n 1; }
report_ledger() { sed -n 's/^run: the ledger holds \([0-9][0-9]*\) entries.*/\1/p' "$1" | head -n 1; }

# ---------------------------------------------------------------- pipeline files

# e2e_pipeline FILE GROUP DIR DATABASE SIEM_HOST SIEM_PORT TOPIC: what (a) and
# the latency run use.
e2e_pipeline() {
    cat >"$1" <<YAML
# bench-e2e: PostgreSQL + ledger + SIEM alerts over TCP + metrics + detection.
source:
  kafka:
    bootstrap.servers: "$broker"
    group.id: "$2"
  topics: [$7]
  dead_letter_topic: $7.dead-letter
detectors:
  enabled: true
  state_directory: $3/detection
metrics:
  listen: "$COUNTERSIGN_TEST_METRICS_LISTEN"
ledger:
  directory: $3/ledger
  key_file: $work/ledger.key
sinks:
  - type: postgres
    conninfo: "dbname=$4"
    # Generated events are dated August 2026: keep them whatever today's date.
    retention_days: 3650
    writers: $BENCH_E2E_WRITERS
  - type: siem
    host: "$5"
    port: $6
    transport: tcp
    framing: octet_counting
    hostname: countersign-bench
    send: alerts
    spool:
      directory: $3/siem-spool
YAML
}

null_pipeline() {
    cat >"$1" <<YAML
# bench-e2e consume: the source and a null sink only.
source:
  kafka:
    bootstrap.servers: "$broker"
    group.id: "$2"
  topics: [$topic]
  dead_letter_topic: $topic.dead-letter
detectors:
  enabled: false
sinks:
  - type: null
YAML
}

# The ledger's signing key, once (ledger keygen refuses to overwrite one).
"$countersign" ledger keygen --name countersign.bench/e2e --out "$work/ledger" >/dev/null

# ---------------------------------------------------------------- the topic

topic=bench.e2e
held=0
fill_topic() {
    start_broker e2e "$topic:$BENCH_E2E_PARTITIONS" "$topic.dead-letter:1"
    say "generating $BENCH_E2E_EVENTS events ($BENCH_E2E_TENANTS tenants x $BENCH_E2E_MEMBERS_PER_TENANT members, $BENCH_E2E_INCIDENTS incidents) into $topic"
    local t0 t1
    t0=$(now_ns)
    # Its progress (once a second) goes to the terminal as well.
    "$countersign" generate --count "$BENCH_E2E_EVENTS" --seed "$BENCH_E2E_SEED" --tenants "$BENCH_E2E_TENANTS" \
        --members-per-tenant "$BENCH_E2E_MEMBERS_PER_TENANT" --spacing-ms "$BENCH_E2E_SPACING_MS" \
        --incidents "$BENCH_E2E_INCIDENTS" --labels "$work/e2e-labels.jsonl" \
        --brokers "$broker" --topic "$topic" 2>&1 | tee "$work/generate.log" ||
        fail "generate failed: $(tail -n 3 "$work/generate.log")"
    t1=$(now_ns)
    local delivered
    delivered=$(sed -n 's/^generate: \([0-9]*\) events delivered.*/\1/p' "$work/generate.log")
    "$PY" "$bench/watermarks.py" "$broker" "$topic" >"$work/watermarks.json"
    held=$(json_get "$work/watermarks.json" held)
    say "the broker holds $held events ($(cat "$work/watermarks.json"))"
    # kcat reads what the broker holds (untimed): consumers see every event.
    local read
    read=$(kcat -C -b "$broker" -t "$topic" -e -o beginning -q -f 'x' | wc -c)
    say "kcat reads $read messages"
    record topic "delivered=${delivered:-0}" "held=$held" "read_by_kcat=$read" "generate_ms=$(((t1 - t0) / 1000000))" \
        "watermarks=@$work/watermarks.json" "events_requested=$BENCH_E2E_EVENTS" "partitions=$BENCH_E2E_PARTITIONS"
    if [ "$held" -lt "$BENCH_E2E_EVENTS" ]; then
        say "WARNING: the topic holds $held events, fewer than BENCH_E2E_EVENTS=$BENCH_E2E_EVENTS: the dev-broker dropped" \
            "the oldest events of its fullest partitions (about 5 MB each); every figure below is on the $held held." \
            "More partitions or more members (BENCH_E2E_MEMBERS_PER_TENANT) spread them further."
    fi
    [ "$read" -eq "$held" ] || say "WARNING: kcat read $read messages, the watermarks say $held"
}

# ---------------------------------------------------------------- (a) (b) (c)

db=bench_e2e
shape_ready=0
raw_type=
copy_files=()

reset_database() { # NAME
    sql postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
    sql postgres "CREATE DATABASE $1"
}

# Tables of the events table's shape for the peers, made from the catalogue
# once (a) has created the schema and its day partitions: same columns and
# types (`raw` follows whatever events has), primary key, indexes, and a
# partition per day of events. The Python peer fills 10 of the 21 columns,
# so its table alone does not require event_kind and gateway.
make_peer_tables() {
    local parts
    parts=$(sql "$db" "SELECT c.relname || '|' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1")
    local table name bound
    for table in peer_events copy_events; do
        sql "$db" "DROP TABLE IF EXISTS $table CASCADE"
        if [ "$(sql "$db" "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" = p ]; then
            local key
            key=$(sql "$db" "SELECT pg_get_partkeydef('events'::regclass)")
            sql "$db" "CREATE TABLE $table (LIKE events INCLUDING ALL) PARTITION BY $key"
            while IFS='|' read -r name bound; do
                [ -n "$name" ] || continue
                sql "$db" "CREATE TABLE ${table}_${name#events_} PARTITION OF $table $bound"
            done <<<"$parts"
        else
            sql "$db" "CREATE TABLE $table (LIKE events INCLUDING ALL)"
        fi
    done
    sql "$db" "ALTER TABLE peer_events ALTER COLUMN event_kind DROP NOT NULL, ALTER COLUMN gateway DROP NOT NULL"
    raw_type=$(sql "$db" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = 'events'::regclass AND attname = 'raw'")
    say "tables peer_events and copy_events: the shape of events ($(sql "$db" "SELECT count(*) FROM pg_inherits
        WHERE inhparent = 'events'::regclass") partitions, raw as $raw_type)"
}

# The rows (a) stored, as COPY text, split by kafka_partition modulo the writers.
dump_copy_files() {
    local i columns
    columns=$(sql "$db" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped")
    echo "$columns" >"$work/copy.columns"
    copy_files=()
    for ((i = 0; i < BENCH_E2E_WRITERS; i++)); do
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "\\copy (SELECT $columns FROM events
            WHERE kafka_partition % $BENCH_E2E_WRITERS = $i ORDER BY kafka_partition, kafka_offset) TO '$work/copy.$i'"
        copy_files+=("$work/copy.$i")
    done
    say "COPY text of $(cat "${copy_files[@]}" | wc -l) rows in ${#copy_files[@]} files ($(du -ch "${copy_files[@]}" | tail -n 1 | cut -f1))"
}

# The Python peer, as its docstring says to use it for a like-for-like
# comparison: its table has the events table's shape (made above, so its
# CREATE TABLE IF NOT EXISTS does nothing) and its COPY names the columns it
# fills. That column list is the only change to the script.
make_peer_script() {
    [ -r "$BENCH_PEER_SCRIPT" ] || fail "the Python peer is missing: $BENCH_PEER_SCRIPT"
    local from='COPY peer_events FROM STDIN'
    local to='COPY peer_events (event_id, occurred_at, tenant_id, actor_id, server_id, tool, status, result_bytes, duration_ms, raw) FROM STDIN'
    grep -qF "$from" "$BENCH_PEER_SCRIPT" || fail "the Python peer changed: no '$from' in $BENCH_PEER_SCRIPT"
    sed "s/$from/$to/" "$BENCH_PEER_SCRIPT" >"$work/python_pipeline.py"
}

run_a() { # ROUND
    local round=$1 dir="$work/a.$1" group t0 status=0
    mkdir -p "$dir"
    group="bench-e2e-a-$1-$(now_ns)"
    # A fresh start: events, alerts and detection state emptied (day partitions kept).
    sql "$db" "TRUNCATE events, alerts, detection_state"
    e2e_pipeline "$dir/pipeline.yaml" "$group" "$dir" "$db" "${COUNTERSIGN_TEST_SYSLOG_TCP%:*}" \
        "${COUNTERSIGN_TEST_SYSLOG_TCP##*:}" "$topic"
    say "round $round (a): countersign run (postgres x$BENCH_E2E_WRITERS + ledger + siem tcp + metrics + detection), group $group"
    t0=$(now_ns)
    "$PY" "$bench/poll_metrics.py" "http://$COUNTERSIGN_TEST_METRICS_LISTEN/metrics" "$t0" "$dir/metrics.json" \
        "$BENCH_E2E_POLL_S" &
    local poller=$!
    bg_pids+=("$poller")
    run_fg "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out "$dir/out" --t0 "$t0" \
        --timeout "$BENCH_E2E_TIMEOUT" -- "$countersign" run --pipeline "$dir/pipeline.yaml" --exit-when-idle "$BENCH_E2E_IDLE" ||
        status=$?
    kill -TERM "$poller" 2>/dev/null || true
    wait "$poller" || true
    forget "$poller"
    [ "$status" = 0 ] || { tail -n 20 "$dir/log" >&2; fail "countersign run exited with $status (log above)"; }
    local rows consumed
    rows=$(sql "$db" "SELECT count(*) FROM events")
    consumed=$(report_consumed "$dir/out")
    record e2e system=countersign "round=$round" "events=$held" "rows=$rows" "consumed=$consumed" \
        "acknowledged=$(report_acknowledged "$dir/out")" "alerts=$(report_alerts "$dir/out")" \
        "siem_sent=$(report_siem_sent "$dir/out")" "ledger_entries=$(report_ledger "$dir/out")" \
        "assigned_s=$(assigned_at "$dir/log")" "idle_exit_s=$BENCH_E2E_IDLE" "writers=$BENCH_E2E_WRITERS" \
        "time=@$dir/time.json" "metrics=@$dir/metrics.json"
    say "round $round (a): $(json_get "$dir/time.json" wall_s) s, $rows rows (consumed ${consumed:-?}); $(sed -n 's/^run: //p' "$dir/out" | tr '\n' ';')"
    [ "$rows" -eq "$held" ] || say "WARNING: (a) stored $rows rows, the topic holds $held"
    if [ "$shape_ready" = 0 ]; then
        make_peer_tables
        dump_copy_files
        shape_ready=1
    fi
    rm -rf "$dir/ledger" "$dir/detection" "$dir/siem-spool"
}

run_b() { # ROUND
    local round=$1 dir="$work/b.$1" status=0
    mkdir -p "$dir"
    say "round $round (b): python peer (confluent-kafka + json + psycopg COPY), $held events"
    run_fg "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out "$dir/out" \
        --timeout "$BENCH_E2E_TIMEOUT" -- "$PY" "$work/python_pipeline.py" "$broker" "$topic" "$held" "dbname=$db" ||
        status=$?
    [ "$status" = 0 ] || { cat "$dir/log" >&2; fail "the Python peer exited with $status"; }
    local rows
    rows=$(sql "$db" "SELECT count(*) FROM peer_events")
    record e2e system=python "round=$round" "events=$held" "rows=$rows" "peer_says=$(head -n 1 "$dir/out")" \
        "time=@$dir/time.json"
    say "round $round (b): $(json_get "$dir/time.json" wall_s) s, $rows rows; $(head -n 1 "$dir/out")"
}

run_c() { # ROUND
    local round=$1 dir="$work/c.$1" i columns script
    mkdir -p "$dir"
    columns=$(cat "$work/copy.columns")
    sql "$db" "TRUNCATE copy_events"
    say "round $round (c): ${#copy_files[@]} parallel psql \\copy into copy_events"
    # One shell runs the writers side by side and waits for all of them, so
    # that run_timed measures the whole load as one.
    script="status=0"
    for ((i = 0; i < ${#copy_files[@]}; i++)); do
        script+="; psql -X -q -v ON_ERROR_STOP=1 -d $db -c \"\\\\copy copy_events ($columns) FROM '${copy_files[$i]}'\" & p$i=\$!"
    done
    for ((i = 0; i < ${#copy_files[@]}; i++)); do script+="; wait \$p$i || status=1"; done
    script+="; exit \$status"
    run_fg "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out "$dir/out" -- bash -c "$script" ||
        { cat "$dir/log" >&2; fail "psql \\copy failed"; }
    local rows
    rows=$(sql "$db" "SELECT count(*) FROM copy_events")
    record e2e system=psql "round=$round" "events=$held" "rows=$rows" "writers=${#copy_files[@]}" \
        "raw_type=$raw_type" "time=@$dir/time.json"
    say "round $round (c): $(json_get "$dir/time.json" wall_s) s, $rows rows"
}

# ---------------------------------------------------------------- consume

run_null() { # ROUND
    local round=$1 dir="$work/null.$1" group status=0
    mkdir -p "$dir"
    group="bench-e2e-null-$1-$(now_ns)"
    null_pipeline "$dir/pipeline.yaml" "$group"
    say "round $round: countersign run, null sink only, group $group"
    run_fg "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out "$dir/out" \
        --timeout "$BENCH_E2E_TIMEOUT" -- "$countersign" run --pipeline "$dir/pipeline.yaml" --exit-when-idle "$BENCH_E2E_IDLE" ||
        status=$?
    [ "$status" = 0 ] || { tail -n 20 "$dir/log" >&2; fail "countersign run (null) exited with $status"; }
    local consumed
    consumed=$(report_consumed "$dir/out")
    record consume system=countersign-null "round=$round" "events=$held" "consumed=$consumed" \
        "assigned_s=$(assigned_at "$dir/log")" "idle_exit_s=$BENCH_E2E_IDLE" "time=@$dir/time.json"
    say "round $round: worker (null) $(json_get "$dir/time.json" wall_s) s, consumed ${consumed:-?}"
}

run_kcat() { # ROUND
    local round=$1 dir="$work/kcat.$1"
    mkdir -p "$dir"
    say "round $round: kcat -C -e -o beginning -q > /dev/null"
    run_fg "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out /dev/null \
        --timeout "$BENCH_E2E_TIMEOUT" -- kcat -C -b "$broker" -t "$topic" -e -o beginning -q ||
        { cat "$dir/log" >&2; fail "kcat failed"; }
    record consume system=kcat "round=$round" "events=$held" "time=@$dir/time.json"
    say "round $round: kcat $(json_get "$dir/time.json" wall_s) s"
}

# ---------------------------------------------------------------- latency

run_latency() {
    local dir="$work/latency" count=$((BENCH_LATENCY_RATE * BENCH_LATENCY_SECONDS)) lat_topic=bench.latency
    local lat_db=bench_latency group status=0
    mkdir -p "$dir"
    say "latency: generating $count events ($BENCH_LATENCY_INCIDENTS incidents planted) to a file"
    "$countersign" generate --count "$count" --seed 7 --tenants "$BENCH_LATENCY_TENANTS" \
        --members-per-tenant "$BENCH_LATENCY_MEMBERS_PER_TENANT" --spacing-ms "$BENCH_LATENCY_SPACING_MS" \
        --incidents "$BENCH_LATENCY_INCIDENTS" --labels "$dir/labels.jsonl" -o "$dir/events.jsonl"
    start_broker latency "$lat_topic:$BENCH_LATENCY_PARTITIONS" "$lat_topic.dead-letter:1"
    reset_database "$lat_db"

    "$PY" "$bench/siem_listener.py" "$dir/siem.port" "$dir/alerts.jsonl" octet_counting 2>"$dir/siem.log" &
    local listener=$!
    bg_pids+=("$listener")
    for _ in $(seq 1 50); do [ -s "$dir/siem.port" ] && break; sleep 0.1; done
    [ -s "$dir/siem.port" ] || fail "the SIEM listener did not start"

    group="bench-e2e-latency-$(now_ns)"
    e2e_pipeline "$dir/pipeline.yaml" "$group" "$dir" "$lat_db" 127.0.0.1 "$(cat "$dir/siem.port")" "$lat_topic"
    say "latency: countersign run (postgres + ledger + siem tcp to a stamping listener + metrics + detection)"
    "$PY" "$bench/run_timed.py" --result "$dir/time.json" --log "$dir/log" --out "$dir/out" \
        --timeout "$BENCH_E2E_TIMEOUT" -- "$countersign" run --pipeline "$dir/pipeline.yaml" &
    local worker=$!
    bg_pids+=("$worker")
    # Produce only once the group has assigned the partitions, so that the
    # join does not count as latency.
    for _ in $(seq 1 600); do
        [ -n "$(assigned_at "$dir/log" 2>/dev/null)" ] && break
        kill -0 "$worker" 2>/dev/null || { cat "$dir/log" >&2; fail "the worker stopped before joining"; }
        sleep 0.1
    done
    [ -n "$(assigned_at "$dir/log")" ] || fail "the worker was not assigned partitions within 60 s"
    sleep 1
    say "latency: producing at $BENCH_LATENCY_RATE events/s for about $BENCH_LATENCY_SECONDS s"
    run_fg "$PY" "$bench/paced_producer.py" "$broker" "$lat_topic" "$dir/events.jsonl" "$BENCH_LATENCY_RATE" \
        "$dir/produced.tsv" >"$dir/producer.json" || fail "the paced producer failed: $(cat "$dir/producer.json")"
    local produced
    produced=$(json_get "$dir/producer.json" events)
    say "latency: produced $(cat "$dir/producer.json")"
    # Wait (up to 2 minutes) for every sink to have acknowledged every event,
    # then a little longer for alerts still in flight.
    local done_ack=0
    for _ in $(seq 1 600); do
        done_ack=$(least_acknowledged)
        [ "$done_ack" -ge "$produced" ] && break
        sleep 0.2
    done
    [ "$done_ack" -ge "$produced" ] || say "WARNING: the sinks acknowledged only $done_ack of $produced events within 2 minutes"
    sleep 2
    kill -TERM "$worker" 2>/dev/null || true
    wait "$worker" || status=$?
    forget "$worker"
    [ "$status" = 0 ] || { tail -n 20 "$dir/log" >&2; fail "the latency worker exited with $status"; }
    kill -TERM "$listener" 2>/dev/null || true
    wait "$listener" || true
    forget "$listener"
    "$PY" "$bench/latency_report.py" "$dir/produced.tsv" "$dir/alerts.jsonl" >"$dir/latency.json"
    record latency "rate=$BENCH_LATENCY_RATE" "seconds=$BENCH_LATENCY_SECONDS" "partitions=$BENCH_LATENCY_PARTITIONS" \
        "acknowledged_by_every_sink=$done_ack" "worker_alerts=$(report_alerts "$dir/out")" \
        "siem_sent=$(report_siem_sent "$dir/out")" "rows=$(sql "$lat_db" "SELECT count(*) FROM events")" \
        "producer=@$dir/producer.json" "result=@$dir/latency.json" "incidents=@$dir/labels.jsonl"
    say "latency: $(cat "$dir/latency.json")"
    stop_broker
}

# ---------------------------------------------------------------- main

say "countersign $("$countersign" --version 2>/dev/null || echo '?'); Python $("$PY" -c 'import sys, confluent_kafka, psycopg; print(sys.version.split()[0], "confluent-kafka", confluent_kafka.version()[0], "librdkafka", confluent_kafka.libversion()[0], "psycopg", psycopg.__version__)'); $(kcat -V 2>&1 | head -n 1)"
say "raw figures: $raw; table: $table"
record setup "phases=$BENCH_E2E_PHASES" "events_requested=$BENCH_E2E_EVENTS" "partitions=$BENCH_E2E_PARTITIONS" \
    "rounds=$BENCH_E2E_ROUNDS" "writers=$BENCH_E2E_WRITERS" "idle_exit_s=$BENCH_E2E_IDLE" \
    "tenants=$BENCH_E2E_TENANTS" "members_per_tenant=$BENCH_E2E_MEMBERS_PER_TENANT" \
    "spacing_ms=$BENCH_E2E_SPACING_MS" "host=$(hostname)" "cores=$(nproc)" "date=$(date -u +%FT%TZ)" \
    "commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo '+dirty')"

if has_phase e2e || has_phase consume; then
    fill_topic
fi
if has_phase e2e; then
    reset_database "$db"
    "$countersign" migrate --conninfo "dbname=$db" >/dev/null
    make_peer_script
    for ((round = 1; round <= BENCH_E2E_ROUNDS; round++)); do
        run_a "$round"
        run_b "$round"
        run_c "$round"
    done
fi
if has_phase consume; then
    for ((round = 1; round <= BENCH_E2E_ROUNDS; round++)); do
        run_null "$round"
        run_kcat "$round"
    done
fi
stop_broker
if has_phase latency; then
    run_latency
fi

"$PY" "$bench/report.py" "$raw" | tee "$table"
say "raw figures in $raw, the table in $table"
