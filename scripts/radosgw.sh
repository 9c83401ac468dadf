#!/usr/bin/env bash
# A throwaway one-node Ceph cluster (one monitor, one bluestore OSD on a sparse
# file, one radosgw) on loopback, for tests of the S3 Object Lock code.
#
#   scripts/radosgw.sh start DIR   create DIR (or restart the cluster already in
#                                  DIR, keeping its data), start the daemons, wait
#                                  until S3 answers, create the test user and write
#                                  DIR/env with
#                                    COUNTERSIGN_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                                    COUNTERSIGN_TEST_S3_ACCESS_KEY=countersign-test
#                                    COUNTERSIGN_TEST_S3_SECRET_KEY=countersign-test-secret
#                                    COUNTERSIGN_TEST_S3_REGION=default
#                                  Prints nothing on success; on failure prints the
#                                  tail of the relevant log, stops what it started
#                                  and exits non-zero.
#   scripts/radosgw.sh stop DIR    stop the daemons started for DIR and wait for
#                                  them to exit; idempotent.
#
# Everything (configuration, data, logs, sockets, keyring, pid files) stays
# under DIR; every Ceph command gets -c DIR/ceph.conf, so /etc/ceph and
# /var/lib/ceph are never read or written. Needs the Debian packages
# ceph-mon ceph-osd radosgw ceph-common (Ceph 16.2), python3 and curl.
set -euo pipefail

access_key=countersign-test
secret_key=countersign-test-secret
region=default
rgw_name=client.rgw.countersign
osd_id=0

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command=$1
[ -n "$2" ] || usage
if [ "$command" = stop ] && [ ! -d "$2" ]; then exit 0; fi
mkdir -p "$2" 2>/dev/null || { echo "radosgw.sh: cannot create $2" >&2; exit 1; }
dir=$(cd "$2" && pwd -P)
conf=$dir/ceph.conf
setup_log=$dir/log/setup.log

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_free() {
    python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# Pids of the Ceph daemons whose command line holds "-c DIR/ceph.conf", also
# those without a pid file (a daemon that failed before writing it).
daemon_pids() {
    local f pid cmdline
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != "$$" ] || continue
        cmdline=$(tr '\0' '\n' 2>/dev/null <"$f") || continue
        case ${cmdline%%$'\n'*} in
            ceph-mon | ceph-osd | radosgw | */ceph-mon | */ceph-osd | */radosgw) ;;
            *) continue ;;
        esac
        if printf '%s\n' "$cmdline" | grep -qxF -- "$conf"; then
            echo "$pid"
        fi
    done
}

# stop_pids PID...: TERM them, wait, KILL what is left after 30 s.
stop_pids() {
    local pid i
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        for pid in "$@"; do
            if kill -0 "$pid" 2>/dev/null; then
                sleep 0.1
                continue 2
            fi
        done
        return 0
    done
    kill -KILL "$@" 2>/dev/null || true
    for pid in "$@"; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    done
}

# pid_of NAME: the pid in NAME's pid file, if that process is ours and alive.
pid_of() {
    local f=$dir/run/$1.pid pid
    [ -s "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null) || return 0
    case $pid in '' | *[!0-9]*) return 0 ;; esac
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF -- "$conf"; then
        echo "$pid"
    fi
}

stop_all() {
    local pids
    # One after the other: radosgw hangs in its shutdown when the OSD is gone,
    # and the OSD waits up to 5 s for the monitor to acknowledge its own.
    # shellcheck disable=SC2046
    stop_pids $(pid_of "$rgw_name")
    # shellcheck disable=SC2046
    stop_pids $(pid_of "osd.$osd_id")
    # shellcheck disable=SC2046
    stop_pids $(pid_of mon.a)
    # Anything left from a start that failed half way.
    mapfile -t pids < <(daemon_pids)
    stop_pids "${pids[@]}"
    rm -f "$dir/run/$rgw_name.pid" "$dir/run/osd.$osd_id.pid" "$dir/run/mon.a.pid" \
        "$dir/run/$rgw_name.asok" "$dir/run/osd.$osd_id.asok" "$dir/run/mon.a.asok"
}

if [ "$command" = stop ]; then
    stop_all
    exit 0
fi
[ "$command" = start ] || usage

# ---- start ----

ceph_cli() { timeout 60 ceph -c "$conf" --connect-timeout 10 "$@"; }

current_log=$setup_log
started=false
on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ "$started" = false ]; then
        echo "radosgw.sh: start failed; last lines of $current_log:" >&2
        tail -n 40 "$current_log" >&2 2>/dev/null || true
        stop_all
    fi
}

fail() {
    echo "radosgw.sh: $*" >&2
    exit 1
}

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph python3 curl timeout; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (Debian: ceph-mon ceph-osd radosgw ceph-common)"
done
[ -z "$(daemon_pids)" ] || fail "a cluster is already running for $dir (run: $0 stop $dir)"
rm -f "$dir/env"

mkdir -p "$dir/run" "$dir/log" "$dir/crash" "$dir/rgw" "$dir/mon/ceph-a" "$dir/osd/ceph-$osd_id"
: >"$setup_log"
trap on_exit EXIT
trap 'exit 130' INT TERM

write_conf() {
    cat >"$conf" <<EOF
# Written by scripts/radosgw.sh; ports: mon $mon_port, rgw $rgw_port.
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_msgr2 = true
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_mon_service_mode = crc
ms_service_mode = crc
ms_mon_cluster_mode = crc
ms_cluster_mode = crc
keyring = $dir/keyring
run_dir = $dir/run
crash_dir = $dir/crash
log_file = $dir/log/\$name.log
log_to_stderr = false
err_to_stderr = true
mon_data = $dir/mon/\$cluster-\$id
osd_data = $dir/osd/\$cluster-\$id
rgw_data = $dir/rgw
mgr_data = $dir/mgr
mds_data = $dir/mds
mon_cluster_log_file = default=$dir/log/ceph.\$channel.log cluster=$dir/log/ceph.log
mon_debug_dump_location = $dir/log/\$name.tdump
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 2
mon_data_avail_crit = 1
mon_warn_on_insecure_global_id_reclaim_allowed = false
# A one-monitor test cluster: commit map changes at once, not once a second
# (radosgw creates its pools one after another at first start).
paxos_propose_interval = 0.05
paxos_min_wait = 0.01

[mon]
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok

[osd]
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 10737418240
# Keep the OSD small: fixed caches, few threads, small rocksdb memtables.
bluestore_cache_autotune = false
bluestore_cache_size = 33554432
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
# PG logs (kept in memory, for recovery between replicas) short.
osd_target_pg_log_entries_per_osd = 3000
osd_min_pg_log_entries = 100
osd_max_pg_log_entries = 500
osd_pg_log_dups_tracked = 500
bluestore_rocksdb_options = compression=kNoCompression,max_write_buffer_number=2,min_write_buffer_number_to_merge=1,recycle_log_file_num=2,write_buffer_size=16777216,writable_file_max_buffer_size=0,compaction_readahead_size=2097152,max_background_compactions=1,max_total_wal_size=67108864

[client]
admin_socket =

[$rgw_name]
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_thread_pool_size = 16
EOF
}

# Daemon NAME is running (its pid file names a live process of this DIR).
running() { [ -n "$(pid_of "$1")" ]; }

# start_daemon NAME LOG COMMAND...: run a daemon (it forks) and check it stays up.
start_daemon() {
    local name=$1 log=$2 i
    shift 2
    current_log=$log
    "$@" >>"$setup_log" 2>&1 || { current_log=$setup_log; tail -n 20 "$log" >>"$setup_log" 2>/dev/null; fail "$name did not start"; }
    for ((i = 0; i < 100; i++)); do
        running "$name" && return 0
        sleep 0.1
    done
    fail "$name did not write its pid file"
}

fresh=true
if [ -s "$conf" ] && [ -e "$dir/mon/ceph-a/store.db" ] && [ -e "$dir/osd/ceph-$osd_id/fsid" ]; then
    fresh=false
fi

if [ "$fresh" = true ]; then
    [ ! -e "$dir/mon/ceph-a/store.db" ] || fail "$dir holds a half-made cluster; remove it first"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port)
    rgw_port=$(free_port)
    while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
    write_conf
    current_log=$setup_log
    {
        ceph-authtool -c "$conf" --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *'
        ceph-authtool -c "$conf" "$dir/keyring" --gen-key -n client.admin \
            --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
        monmaptool -c "$conf" --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap"
        ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
    } >>"$setup_log" 2>&1 || fail "creating the monitor failed"
else
    fsid=$(sed -n 's/^fsid = //p' "$conf")
    mon_port=$(sed -n 's/^# Written by .*ports: mon \([0-9]*\), rgw \([0-9]*\)\.$/\1/p' "$conf")
    rgw_port=$(sed -n 's/^# Written by .*ports: mon \([0-9]*\), rgw \([0-9]*\)\.$/\2/p' "$conf")
    if [ -z "$fsid" ] || [ -z "$mon_port" ] || [ -z "$rgw_port" ]; then fail "cannot read $conf"; fi
    old_mon_port=$mon_port
    port_free "$mon_port" || mon_port=$(free_port)
    port_free "$rgw_port" || rgw_port=$(free_port)
    write_conf
    if [ "$mon_port" != "$old_mon_port" ]; then
        # The monitor's address lives in its monmap: move it to the new port.
        current_log=$setup_log
        {
            ceph-mon -c "$conf" -i a --extract-monmap "$dir/monmap"
            monmaptool -c "$conf" --rm a "$dir/monmap"
            monmaptool -c "$conf" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap"
            ceph-mon -c "$conf" -i a --inject-monmap "$dir/monmap"
        } >>"$setup_log" 2>&1 || fail "moving the monitor to port $mon_port failed"
    fi
fi

export MALLOC_ARENA_MAX=2
start_daemon mon.a "$dir/log/mon.a.log" ceph-mon -c "$conf" -i a
current_log=$dir/log/mon.a.log
ceph_cli mon stat >>"$setup_log" 2>&1 || fail "the monitor does not answer"

if [ "$fresh" = true ]; then
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    current_log=$setup_log
    id=$(ceph_cli osd new "$osd_uuid" 2>>"$setup_log") || fail "ceph osd new failed"
    [ "$id" = "$osd_id" ] || fail "ceph osd new gave id '$id', not $osd_id"
    current_log=$dir/log/osd.$osd_id.log
    ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$setup_log" 2>&1 \
        || fail "ceph-osd --mkfs failed"
fi
start_daemon "osd.$osd_id" "$dir/log/osd.$osd_id.log" ceph-osd -c "$conf" -i "$osd_id"
for ((i = 0; ; i++)); do
    osd_stat=$(ceph_cli osd stat -f json 2>>"$setup_log" || true)
    case $osd_stat in *'"num_up_osds":1'*) break ;; esac
    running "osd.$osd_id" || fail "the OSD exited"
    [ "$i" -lt 120 ] || fail "the OSD did not come up within 60 s"
    sleep 0.5
done

start_daemon "$rgw_name" "$dir/log/$rgw_name.log" radosgw -c "$conf" -n "$rgw_name"
for ((i = 0; ; i++)); do
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$rgw_port/" || true)
    [ "$code" = 200 ] && break
    running "$rgw_name" || fail "radosgw exited"
    [ "$i" -lt 240 ] || fail "radosgw did not answer on 127.0.0.1:$rgw_port within 120 s"
    sleep 0.5
done

current_log=$dir/log/client.admin.log
if ! timeout 60 radosgw-admin -c "$conf" user info --uid="$access_key" >/dev/null 2>&1; then
    timeout 60 radosgw-admin -c "$conf" user create --uid="$access_key" --display-name="Countersign tests" \
        --access-key="$access_key" --secret-key="$secret_key" >>"$setup_log" 2>&1 \
        || { current_log=$setup_log; fail "radosgw-admin user create failed"; }
fi

cat >"$dir/env.tmp" <<EOF
COUNTERSIGN_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
COUNTERSIGN_TEST_S3_ACCESS_KEY=$access_key
COUNTERSIGN_TEST_S3_SECRET_KEY=$secret_key
COUNTERSIGN_TEST_S3_REGION=$region
EOF
mv "$dir/env.tmp" "$dir/env"
started=true
