#!/usr/bin/env bash
# Starts the real servers the integration tests talk to, runs a command with
# their addresses in the environment, and stops them afterwards, also when
# the command fails or is interrupted.
#
#   scripts/harness.sh [--] COMMAND...
#
# Exports:
#   COUNTERSIGN_TEST_PG     libpq connection string of a throwaway PostgreSQL
#                           (loopback, a free non-default port, data in a temp dir)
#   PGHOST PGPORT PGUSER PGDATABASE   the same, for psql and libpq defaults
#                           (the role countersign_password must log in with the password
#                           the-right-password: for tests of a refused password)
#   COUNTERSIGN_TEST_PG_OUTAGE  a second throwaway server, only for outage tests
#   COUNTERSIGN_TEST_PG_STOP, COUNTERSIGN_TEST_PG_START
#                           scripts that stop and start that second server
#   COUNTERSIGN_TEST_SYSLOG_UDP, COUNTERSIGN_TEST_SYSLOG_TCP, COUNTERSIGN_TEST_SYSLOG_TLS
#                           host:port of an rsyslogd; COUNTERSIGN_TEST_SYSLOG_DIR holds
#                           udp.log, tcp.log and tls.log, one line per parsed message,
#                           and under tls/ the test CA (ca.pem) and a client
#                           certificate (client.pem, client.key) the TLS listener requires
#   COUNTERSIGN_TEST_SYSLOG_EVENTS  host:port (TCP) of a listener writing events.log, for
#                           workers that send every event (the chaos tests), apart
#                           from the files the rsyslog tests count
#   COUNTERSIGN_TEST_SYSLOG_OUTAGE  host:port (TCP) of a second rsyslogd, only for
#                           outage tests, writing outage.log; COUNTERSIGN_TEST_SYSLOG_STOP
#                           and COUNTERSIGN_TEST_SYSLOG_START stop and start it
#   COUNTERSIGN_TEST_PROMETHEUS  base URL of a Prometheus scraping COUNTERSIGN_TEST_METRICS_LISTEN
#                           (host:port where a test's worker serves /metrics) every second
#   COUNTERSIGN_TEST_S3_ENDPOINT, COUNTERSIGN_TEST_S3_ACCESS_KEY, COUNTERSIGN_TEST_S3_SECRET_KEY,
#   COUNTERSIGN_TEST_S3_REGION  an S3 endpoint with Object Lock: Ceph's radosgw on a
#                           one-node cluster (scripts/radosgw.sh); when already set,
#                           that endpoint is used and none is started
#   COUNTERSIGN_TEST_KAFKA  bootstrap servers of a `countersign dev-broker`
#                           (librdkafka's mock cluster over loopback TCP); when
#                           already set, that cluster is used and none is started
#
# COUNTERSIGN_BIN names the countersign binary (default .build/debug/countersign).
set -euo pipefail

[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [--] COMMAND..." >&2; exit 2; }

scripts=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-harness.XXXXXX")
chmod 755 "$work"
pg_data="$work/postgres"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "harness: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; }

# initdb refuses to run as root: use the postgres account then.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_all() {
    status=$?
    if [ -n "${rgw_dir:-}" ]; then "$scripts/radosgw.sh" stop "$rgw_dir" || true; fi
    if [ -n "${syslog_pid:-}" ]; then
        kill -TERM "$syslog_pid" 2>/dev/null || true
        wait "$syslog_pid" 2>/dev/null || true
    fi
    if [ -n "${syslog_dir:-}" ] && [ -s "$syslog_dir/outage.pid" ]; then
        kill -TERM "$(cat "$syslog_dir/outage.pid")" 2>/dev/null || true
    fi
    if [ -n "${prometheus_pid:-}" ]; then
        kill -TERM "$prometheus_pid" 2>/dev/null || true
        wait "$prometheus_pid" 2>/dev/null || true
    fi
    if [ -n "${broker_pid:-}" ]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
    fi
    for data in "$pg_data" "${pg_outage_data:-}"; do
        if [ -n "$data" ] && [ -f "$data/postmaster.pid" ]; then
            as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$work"
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

pg_as=""
[ "$(id -u)" -eq 0 ] && pg_as="runuser -u postgres --"

# start_cluster DIR: initdb, start on a free port, create countersign_test;
# prints the port, and writes DIR.stop and DIR.start scripts.
start_cluster() {
    local data=$1 port options
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    as_pg "$pg_bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-sync >"$data.initdb.log" 2>&1 \
        || { cat "$data.initdb.log" >&2; return 1; }
    # One role must give its password (SCRAM), for tests of a refused password;
    # pg_hba.conf is read top down, so this line goes before initdb's trust lines.
    sed -i '1i host all countersign_password 127.0.0.1/32 scram-sha-256' "$data/pg_hba.conf"
    port=$(free_port)
    options="-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    as_pg "$pg_bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -o "$options" start >/dev/null \
        || { cat "$data/server.log" >&2; return 1; }
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc "create database countersign_test" >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc \
        "create role countersign_password login password 'the-right-password'" >/dev/null
    printf '#!/usr/bin/env bash\n%s %q -D %q -m fast -w stop >/dev/null\n' \
        "$pg_as" "$pg_bin/pg_ctl" "$data" >"$data.stop"
    printf '#!/usr/bin/env bash\n%s %q -D %q -l %q -w -t 60 -o %q start >/dev/null\n' \
        "$pg_as" "$pg_bin/pg_ctl" "$data" "$data/server.log" "$options" >"$data.start"
    chmod 755 "$data.stop" "$data.start"
    echo "$port"
}

pg_port=$(start_cluster "$pg_data")
# A second server only for tests that stop and start it, so that an outage
# test never cuts the connections of tests running beside it.
pg_outage_data="$work/postgres-outage"
pg_outage_port=$(start_cluster "$pg_outage_data")
export COUNTERSIGN_TEST_PG_OUTAGE="host=127.0.0.1 port=$pg_outage_port user=postgres dbname=countersign_test"
export COUNTERSIGN_TEST_PG_STOP=$pg_outage_data.stop COUNTERSIGN_TEST_PG_START=$pg_outage_data.start
export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres PGDATABASE=countersign_test
export COUNTERSIGN_TEST_PG="host=127.0.0.1 port=$pg_port user=postgres dbname=countersign_test"
echo "harness: PostgreSQL on 127.0.0.1:$pg_port (data in $pg_data)"

# rsyslog: UDP, TCP and TLS listeners on free loopback ports, each writing
# what it parsed (RFC 5424: app-name, msgid, structured data, msg) to its own
# file. The TLS listener (RFC 5425, OpenSSL driver) presents a certificate
# for localhost and 127.0.0.1 signed by a throwaway CA and requires a client
# certificate from the same CA.
syslog_dir="$work/rsyslog"
tls_dir="$syslog_dir/tls"
mkdir -p "$tls_dir"
make_certificate() { # NAME SUBJECT EXTENSIONS
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
        -keyout "$tls_dir/$1.key" -out "$tls_dir/$1.csr" >/dev/null 2>&1
    printf '%b' "$3" >"$tls_dir/$1.ext"
    openssl x509 -req -in "$tls_dir/$1.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
        -days 2 -extfile "$tls_dir/$1.ext" -out "$tls_dir/$1.pem" >/dev/null 2>&1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Countersign test CA" \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.pem" >/dev/null 2>&1
make_certificate server "/CN=localhost" 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
make_certificate client "/CN=countersign-test-worker" 'extendedKeyUsage=clientAuth\n'
syslog_udp=$(free_port)
syslog_tcp=$(free_port)
syslog_tls=$(free_port)
syslog_events=$(free_port)
cat >"$syslog_dir/rsyslog.conf" <<CONF
global(workDirectory="$syslog_dir" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$tls_dir/ca.pem"
       defaultNetstreamDriverCertFile="$tls_dir/server.pem"
       defaultNetstreamDriverKeyFile="$tls_dir/server.key")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string" string="%app-name%\t%msgid%\t%structured-data%\t%msg%\n")
ruleset(name="udp") { action(type="omfile" file="$syslog_dir/udp.log" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="$syslog_dir/tcp.log" template="fields") }
ruleset(name="tls") { action(type="omfile" file="$syslog_dir/tls.log" template="fields") }
ruleset(name="events") { action(type="omfile" file="$syslog_dir/events.log" template="fields") }
input(type="imudp" address="127.0.0.1" port="$syslog_udp" ruleset="udp" rcvbufSize="8m")
input(type="imtcp" address="127.0.0.1" port="$syslog_tcp" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$syslog_events" ruleset="events")
input(type="imtcp" address="127.0.0.1" port="$syslog_tls" ruleset="tls"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
CONF
rsyslogd -n -f "$syslog_dir/rsyslog.conf" -i "$syslog_dir/rsyslogd.pid" >"$syslog_dir/rsyslogd.log" 2>&1 &
syslog_pid=$!

# A second rsyslogd (TCP) that outage tests stop and start.
syslog_outage=$(free_port)
mkdir -p "$syslog_dir/outage"
cat >"$syslog_dir/outage.conf" <<CONF
global(workDirectory="$syslog_dir/outage" maxMessageSize="64k")
module(load="imtcp")
template(name="fields" type="string" string="%app-name%\t%msgid%\t%structured-data%\t%msg%\n")
ruleset(name="outage") { action(type="omfile" file="$syslog_dir/outage.log" template="fields") }
input(type="imtcp" address="127.0.0.1" port="$syslog_outage" ruleset="outage")
CONF
cat >"$syslog_dir/outage.start" <<SCRIPT
#!/usr/bin/env bash
rsyslogd -n -f "$syslog_dir/outage.conf" -i "$syslog_dir/outage.pid" >>"$syslog_dir/outage.stderr" 2>&1 </dev/null &
for _ in \$(seq 1 100); do
    python3 -c 'import socket; socket.create_connection(("127.0.0.1", $syslog_outage), 1).close()' 2>/dev/null && exit 0
    sleep 0.1
done
echo "rsyslogd (outage) did not start" >&2
exit 1
SCRIPT
cat >"$syslog_dir/outage.stop" <<SCRIPT
#!/usr/bin/env bash
pid=\$(cat "$syslog_dir/outage.pid")
kill -TERM "\$pid" 2>/dev/null || exit 0
for _ in \$(seq 1 100); do kill -0 "\$pid" 2>/dev/null || exit 0; sleep 0.1; done
kill -KILL "\$pid" 2>/dev/null || true
SCRIPT
chmod 755 "$syslog_dir/outage.start" "$syslog_dir/outage.stop"
"$syslog_dir/outage.start"
sleep 0.5
kill -0 "$syslog_pid" 2>/dev/null || { cat "$syslog_dir/rsyslogd.log" >&2; exit 1; }
export COUNTERSIGN_TEST_SYSLOG_UDP=127.0.0.1:$syslog_udp COUNTERSIGN_TEST_SYSLOG_TCP=127.0.0.1:$syslog_tcp
export COUNTERSIGN_TEST_SYSLOG_TLS=127.0.0.1:$syslog_tls COUNTERSIGN_TEST_SYSLOG_DIR=$syslog_dir
export COUNTERSIGN_TEST_SYSLOG_OUTAGE=127.0.0.1:$syslog_outage COUNTERSIGN_TEST_SYSLOG_EVENTS=127.0.0.1:$syslog_events
export COUNTERSIGN_TEST_SYSLOG_STOP=$syslog_dir/outage.stop COUNTERSIGN_TEST_SYSLOG_START=$syslog_dir/outage.start
echo "harness: rsyslog on udp/$syslog_udp, tcp/$syslog_tcp, tls/$syslog_tls, events tcp/$syslog_events; outage tcp/$syslog_outage (files in $syslog_dir)"

# Prometheus: scrapes the port a test's worker will listen on, every second.
prometheus_dir="$work/prometheus"
mkdir -p "$prometheus_dir"
metrics_port=$(free_port)
prometheus_port=$(free_port)
cat >"$prometheus_dir/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: countersign
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
CONF
prometheus --config.file="$prometheus_dir/prometheus.yml" --storage.tsdb.path="$prometheus_dir/data" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$prometheus_dir/prometheus.log" 2>&1 &
prometheus_pid=$!
for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$prometheus_port/-/ready', timeout=1)" \
        2>/dev/null && break
    kill -0 "$prometheus_pid" 2>/dev/null || { cat "$prometheus_dir/prometheus.log" >&2; exit 1; }
    sleep 0.2
done
export COUNTERSIGN_TEST_PROMETHEUS=http://127.0.0.1:$prometheus_port
export COUNTERSIGN_TEST_METRICS_LISTEN=127.0.0.1:$metrics_port
echo "harness: Prometheus on 127.0.0.1:$prometheus_port scraping 127.0.0.1:$metrics_port"

if [ -z "${COUNTERSIGN_TEST_KAFKA:-}" ]; then
    countersign=${COUNTERSIGN_BIN:-.build/debug/countersign}
    [ -x "$countersign" ] || { echo "harness: $countersign is not built" >&2; exit 1; }
    "$countersign" dev-broker --topic mcp.audit:8 --topic mcp.audit.dead-letter:1 \
        --bootstrap-file "$work/kafka.bootstrap" >"$work/dev-broker.log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 100); do
        [ -s "$work/kafka.bootstrap" ] && break
        kill -0 "$broker_pid" 2>/dev/null || { cat "$work/dev-broker.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -s "$work/kafka.bootstrap" ] || { echo "harness: the dev-broker did not start" >&2; exit 1; }
    export COUNTERSIGN_TEST_KAFKA=$(cat "$work/kafka.bootstrap")
    echo "harness: dev-broker on $COUNTERSIGN_TEST_KAFKA"
else
    echo "harness: using the Kafka cluster at $COUNTERSIGN_TEST_KAFKA"
fi

if [ -z "${COUNTERSIGN_TEST_S3_ENDPOINT:-}" ]; then
    rgw_dir="$work/radosgw"
    "$scripts/radosgw.sh" start "$rgw_dir" || { echo "harness: radosgw did not start" >&2; exit 1; }
    set -a
    # shellcheck disable=SC1091
    . "$rgw_dir/env"
    set +a
    echo "harness: radosgw (S3 with Object Lock) on $COUNTERSIGN_TEST_S3_ENDPOINT"
else
    echo "harness: using the S3 endpoint at $COUNTERSIGN_TEST_S3_ENDPOINT"
fi

"$@"
