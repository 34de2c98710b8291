#!/usr/bin/env bash
# Ferry benchmark (issue 4, "Benchmark"): the binlog relay (binlogrouter)
# against the servers it relays, in one run, on a PRIVATE lab (test/lab/lab.sh
# with LAB_DIR=$BENCH_LAB_DIR and LAB_PORT_OFFSET=$BENCH_LAB_PORT_OFFSET; never
# the shared /tmp/ferry-lab, which is wiped by nobody but its owner). Prints:
#  1. catch-up: >= BENCH_RELAY_MB of binlog generated on s1, pulled by a fresh
#     relay (ingest rate); mariadb-binlog --raw of all of it through the relay
#     vs directly from s1 (MB/s and relay/direct, goal >= 1.5); a fresh replica
#     (the lab's r1) pulling all of it through the relay vs directly (IO thread
#     done, SQL thread done);
#  2. added lag: commit on s1 -> row applied on r1 (a trigger stamps SYSDATE(6)
#     on r1), p50/p99 through the relay vs directly;
#  3. BENCH_RELAY_READERS (100) concurrent mariadb-binlog dumps of the relay
#     while s1 writes, tailing and then reading the whole backlog: MB/s
#     served, ferryd CPU s per GB;
#  4. failover stall (BENCH_RELAY_FAILOVER=1): the private Galera cluster,
#     galeramon + relay, r1 tailing the relay, a writer committing every 50 ms
#     on the master node; kill -9 of the master BENCH_RELAY_KILLS (5) times:
#     kill -> next transaction at the replica, the cluster's own stall, and
#     the relay-added part (target <= interval_ms + 0.5 s).
# Prints figures; it is not a timed test. Environment (defaults in brackets):
# BENCH_RELAY_MB [1024], BENCH_RELAY_CHUNK_MB [128], BENCH_RELAY_ROUNDS [2],
# BENCH_RELAY_REPLICA [1], BENCH_RELAY_REPLICA_ENGINE [InnoDB],
# BENCH_RELAY_LAG_N [500], BENCH_RELAY_LAG_GAP_MS [10], BENCH_RELAY_READERS
# [100], BENCH_RELAY_DUMP_SECS [30], BENCH_RELAY_DUMP_MODES ["tail backlog"],
# BENCH_RELAY_FAILOVER [1], BENCH_RELAY_KILLS [5], BENCH_RELAY_INTERVAL_MS
# [1000], BENCH_RELAY_WRITE_MS [50], BENCH_LAB_DIR [/tmp/ferry-benchlab],
# BENCH_LAB_PORT_OFFSET [2000], BENCH_KEEP_LAB [0], BENCH_KEEP_TMP [0: the
# temp dir with logs is removed after a run without failures], FERRYD
# [build/server/ferryd, built if missing]. See test/bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_SH=$ROOT/test/lab/lab.sh
# shellcheck source=lib.sh
source "$ROOT/test/bench/lib.sh"
BENCH_RELAY_MB=${BENCH_RELAY_MB:-1024}
BENCH_RELAY_CHUNK_MB=${BENCH_RELAY_CHUNK_MB:-128}
BENCH_RELAY_ROUNDS=${BENCH_RELAY_ROUNDS:-2}
BENCH_RELAY_REPLICA=${BENCH_RELAY_REPLICA:-1}
BENCH_RELAY_REPLICA_ENGINE=${BENCH_RELAY_REPLICA_ENGINE:-InnoDB}
BENCH_RELAY_REPLICA_TIMEOUT=${BENCH_RELAY_REPLICA_TIMEOUT:-1800}
BENCH_RELAY_LAG_N=${BENCH_RELAY_LAG_N:-500}
BENCH_RELAY_LAG_GAP_MS=${BENCH_RELAY_LAG_GAP_MS:-10}
BENCH_RELAY_READERS=${BENCH_RELAY_READERS:-100}
BENCH_RELAY_DUMP_SECS=${BENCH_RELAY_DUMP_SECS:-30}
BENCH_RELAY_DUMP_MODES=${BENCH_RELAY_DUMP_MODES-"tail backlog"}
BENCH_RELAY_FAILOVER=${BENCH_RELAY_FAILOVER:-1}
BENCH_RELAY_KILLS=${BENCH_RELAY_KILLS:-5}
BENCH_RELAY_INTERVAL_MS=${BENCH_RELAY_INTERVAL_MS:-1000}
BENCH_RELAY_WRITE_MS=${BENCH_RELAY_WRITE_MS:-50}
BENCH_LAB_DIR=${BENCH_LAB_DIR:-/tmp/ferry-benchlab}
BENCH_LAB_PORT_OFFSET=${BENCH_LAB_PORT_OFFSET:-2000}
BENCH_KEEP_LAB=${BENCH_KEEP_LAB:-0}
BENCH_KEEP_TMP=${BENCH_KEEP_TMP:-0}
FERRYD=${FERRYD:-$ROOT/build/server/ferryd}
PY=/usr/bin/python3

if ! [[ $BENCH_LAB_PORT_OFFSET =~ ^[0-9]+$ ]] || (( BENCH_LAB_PORT_OFFSET == 0 )); then
    echo "bench: error: BENCH_LAB_PORT_OFFSET must be a positive number (0 would be the shared lab's ports)" >&2
    exit 2
fi
HOST=127.0.0.1
G1_PORT=$((3311 + BENCH_LAB_PORT_OFFSET))
G2_PORT=$((3312 + BENCH_LAB_PORT_OFFSET))
G3_PORT=$((3313 + BENCH_LAB_PORT_OFFSET))
R1_PORT=$((3321 + BENCH_LAB_PORT_OFFSET))
S1_PORT=$((3331 + BENCH_LAB_PORT_OFFSET))
declare -A NODE_PORT=([g1]=$G1_PORT [g2]=$G2_PORT [g3]=$G3_PORT)
RELAY_SERVER_ID=7100
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
MIB=1048576

TMP=""
FERRYD_BIN=""
FERRYCTL=""
FERRY_PID=""
FERRY_LOG=""
FERRY_SOCK=""
RELAY_PORT=""
LOADER_PID=""
WRITER_PID=""
READER_PIDS=()
READERS_SID=""
LAB_USED=0
FAILED=0
SUMMARY=()

die() {
    printf 'bench: error: %s\n' "$*" >&2
    FAILED=1
    exit 1
}
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { calc "$(now) - $1" "${2:-%.2f}"; }
# summary FORMAT ARGS...: a line for the summary at the end.
# shellcheck disable=SC2059
summary() {
    local fmt=$1
    shift
    SUMMARY+=("$(printf "$fmt" "$@")")
}


# Bytes PID has written (write(2) to /dev/null included), from /proc/PID/io;
# 0 when it is gone. (rchar would miss socket reads done with recv(2).)
wchar() {
    local io
    io=$(cat "/proc/$1/io" 2>/dev/null) || { echo 0; return; }
    awk '$1 == "wchar:" { print $2; f = 1 } END { if (!f) print 0 }' <<<"$io"
}

lab() { LAB_DIR=$BENCH_LAB_DIR LAB_PORT_OFFSET=$BENCH_LAB_PORT_OFFSET "$LAB_SH" "$@"; }
lab_do() {
    printf '\n$ lab.sh %s\n' "$*" >>"$TMP/lab.log"
    lab "$@" >>"$TMP/lab.log" 2>&1 || { tail -n 30 "$TMP/lab.log" >&2; die "lab.sh $* failed (log: $TMP/lab.log)"; }
}

# sql PORT USER PASSWORD STATEMENTS: tab-separated rows, no headers.
sql() {
    mariadb --no-defaults -h"$HOST" -P"$1" -u"$2" -p"$3" --connect-timeout=20 -N -B -e "$4"
}
s1_sql() { sql "$S1_PORT" admin admin_pw "$1"; }
r1_sql() { sql "$R1_PORT" admin admin_pw "$1"; }
relay_sql() { sql "$RELAY_PORT" repl repl_pw "$1"; }
node_sql() { sql "${NODE_PORT[$1]}" admin admin_pw "$2"; }
# SHOW SLAVE STATUS as "Field: value" lines (PORT USER PASSWORD).
slave_status() {
    mariadb --no-defaults -h"$HOST" -P"$1" -u"$2" -p"$3" --connect-timeout=5 -e 'SHOW SLAVE STATUS\G'
}
# field NAME < "SHOW SLAVE STATUS\G" output
field() { awk -v f="$1" '{ sub(/^ +/, "") } index($0, f ": ") == 1 { print substr($0, length(f) + 3); exit }'; }
# Sum of the second column (File_size of SHOW BINARY LOGS).
sum_sizes() { awk '{ s += $2 } END { printf "%d\n", s }'; }
mb() { calc "$1 / $MIB" "${2:-%.1f}"; }

# gtid_covers HAVE WANT: true when HAVE has, in every domain of WANT, at
# least WANT's sequence number.
gtid_covers() {
    awk -v have="$1" -v want="$2" 'BEGIN {
        n = split(have, h, ",")
        for (i = 1; i <= n; i++) { if (split(h[i], p, "-") == 3) hs[p[1] + 0] = p[3] + 0 }
        m = split(want, w, ",")
        for (i = 1; i <= m; i++) {
            if (split(w[i], p, "-") != 3) continue
            if (!((p[1] + 0) in hs) || hs[p[1] + 0] < p[3] + 0) exit 1
        }
        exit 0 }'
}

# gtid_domain GTID_LIST DOMAIN: only DOMAIN's GTID of the list.
gtid_domain() { tr ',' '\n' <<<"$1" | tr -d ' ' | grep "^$2-" || true; }

# pstats FILE: "n p50 p99 max mean" of the numbers in FILE (nearest rank).
pstats() {
    sort -g "$1" | awk '{ v[NR] = $1; s += $1 }
        function rank(p,   i) { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; return v[i] }
        END {
            if (!NR) { print "0 - - - -"; exit }
            printf "%d %.2f %.2f %.2f %.2f\n", NR, rank(0.5), rank(0.99), v[NR], s / NR }'
}


ferry_log_tail() {
    [[ -n $FERRY_LOG && -f $FERRY_LOG ]] || return 0
    printf -- '--- ferryd log (%s), last %s lines ---\n' "$FERRY_LOG" "${1:-30}"
    tail -n "${1:-30}" "$FERRY_LOG"
    printf -- '---\n'
}
# A failure that involves ferryd: its log, then exit.
die_ferry() {
    printf 'bench: error: %s\n' "$*" >&2
    if [[ -n $FERRY_PID ]] && ! alive "$FERRY_PID"; then
        local frc=0
        wait "$FERRY_PID" || frc=$?
        printf 'bench: ferryd (pid %s) exited with status %s\n' "$FERRY_PID" "$frc" >&2
        FERRY_PID=""
    fi
    ferry_log_tail 40 >&2
    FAILED=1
    exit 1
}

# The readers run in a session of their own (readers.sh under setsid), whose
# shell waits for them all.
stop_readers() {
    local pid
    for pid in "${READER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    READER_PIDS=()
    [[ -n $READERS_SID ]] || return 0
    stop_pid "$READERS_SID"
    READERS_SID=""
}

stop_ferry() {
    stop_pid "$FERRY_PID"
    FERRY_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_readers
    stop_pid "$LOADER_PID"
    if [[ -n $WRITER_PID ]]; then
        touch "$TMP/writer.stop"
        stop_pid "$WRITER_PID"
    fi
    stop_ferry
    if (( LAB_USED )); then
        if [[ $BENCH_KEEP_LAB == 1 ]]; then
            log "private lab kept (BENCH_KEEP_LAB=1); remove it with:" \
                "LAB_DIR=$BENCH_LAB_DIR LAB_PORT_OFFSET=$BENCH_LAB_PORT_OFFSET $LAB_SH wipe"
        else
            log "wiping the private lab $BENCH_LAB_DIR"
            lab wipe >>"${TMP:-/tmp}/lab.log" 2>&1 || log "lab.sh wipe failed"
        fi
    fi
    finish "$rc" "$BENCH_KEEP_TMP"
}
trap_cleanup

# A free TCP port on 127.0.0.1.
free_port() {
    "$PY" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_ferry NAME: ferryd with $TMP/NAME.conf; waits for a login on RELAY_PORT.
# ferryd runs in a session of its own, like the lab's servers: with the
# kernel's autogroup scheduling (sched_autogroup_enabled) a session shares
# the CPU with other sessions as one, so the 100 readers of section 3 (in one
# session of their own) cannot starve ferryd's threads, the servers or this
# script's clients, as they would if all were in one session.
start_ferry() {
    local name=$1 deadline
    FERRY_LOG=$TMP/$name.log
    "$FERRYD_BIN" --check -c "$TMP/$name.conf" >"$TMP/$name.check" 2>&1 ||
        { cat "$TMP/$name.check" >&2; die "ferryd --check rejected $TMP/$name.conf"; }
    setsid "$FERRYD_BIN" -c "$TMP/$name.conf" </dev/null >"$FERRY_LOG" 2>&1 &
    FERRY_PID=$!
    deadline=$((SECONDS + 30))
    until relay_sql "SELECT 1" >/dev/null 2>&1; do
        alive "$FERRY_PID" || die_ferry "ferryd ($name) exited during startup"
        (( SECONDS < deadline )) || die_ferry "ferryd ($name): no login on port $RELAY_PORT after 30 s"
        sleep 0.2
    done
}

relay_gtid() { relay_sql "SELECT @@gtid_binlog_pos" 2>/dev/null || true; }

# wait_relay_has GTID TIMEOUT: until the relay has committed GTID.
wait_relay_has() {
    local want=$1 deadline=$((SECONDS + $2)) have
    while :; do
        alive "$FERRY_PID" || die_ferry "ferryd exited while the relay was catching up"
        have=$(relay_gtid)
        [[ -n $have ]] && gtid_covers "$have" "$want" && return 0
        (( SECONDS < deadline )) ||
            die_ferry "the relay has '$have' after $2 s, the master '$want'; relay status: $(slave_status "$RELAY_PORT" repl repl_pw 2>&1 | grep -E 'IO_State|IO_Running|Last_IO_Error' | tr -s ' ' | tr '\n' ';')"
        sleep 0.2
    done
}

# r1_check: dies when r1's replication reports an error.
r1_check() {
    local st e
    st=$(slave_status "$R1_PORT" admin admin_pw)
    for e in Last_IO_Error Last_SQL_Error; do
        [[ -z $(field "$e" <<<"$st") ]] || die_ferry "r1: $e: $(field "$e" <<<"$st")"
    done
}

# r1_point PORT: r1 replicates from 127.0.0.1:PORT from its gtid_slave_pos.
r1_point() {
    r1_sql "STOP SLAVE; CHANGE MASTER TO MASTER_HOST = '$HOST', MASTER_PORT = $1,
        MASTER_USER = 'repl', MASTER_PASSWORD = 'repl_pw', MASTER_USE_GTID = slave_pos,
        MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1; START SLAVE"
}

# ================================================================ setup

case ${BENCH_LAB_DIR%/} in
    /tmp/ferry-lab | "") die "BENCH_LAB_DIR must be a private lab directory, not '${BENCH_LAB_DIR}'" ;;
    /*) ;;
    *) die "BENCH_LAB_DIR must be an absolute path" ;;
esac
for v in BENCH_RELAY_MB BENCH_RELAY_CHUNK_MB BENCH_RELAY_ROUNDS BENCH_RELAY_LAG_N BENCH_RELAY_LAG_GAP_MS \
    BENCH_RELAY_READERS BENCH_RELAY_DUMP_SECS BENCH_RELAY_KILLS BENCH_RELAY_INTERVAL_MS BENCH_RELAY_WRITE_MS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
(( BENCH_RELAY_CHUNK_MB > 0 && BENCH_RELAY_ROUNDS > 0 )) || die "BENCH_RELAY_CHUNK_MB and BENCH_RELAY_ROUNDS must be > 0"
for c in mariadb mariadb-binlog; do command -v "$c" >/dev/null || die "$c is not installed"; done
[[ -x $PY ]] || die "$PY is missing"
"$PY" -c 'import pymysql' 2>/dev/null || die "python3-pymysql is missing (the failover writer uses it)"

TMP=$(mktemp -d /tmp/ferry-bench-relay.XXXXXX)
: >"$TMP/lab.log"

printf '== Ferry binlog relay benchmark: %s ==\n' "$(date '+%F %T')"
printf 'host: %s CPUs, %s; load average at start: %s\n' "$NCPU" "$(uname -r)" "$(loadavg)"

# ferryd: build if missing; run a private copy so that a rebuild elsewhere
# during the benchmark does not touch the binary under test.
if [[ ! -x $FERRYD ]]; then
    log "building ferryd (RelWithDebInfo) in $ROOT/build"
    (cd "$ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$TMP/build.log" 2>&1 &&
        cmake --build build -j2 >>"$TMP/build.log" 2>&1) || { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
fi
FERRYD_BIN=$TMP/ferryd
cp "$FERRYD" "$FERRYD_BIN"
FERRYCTL=$(dirname "$FERRYD")/ferryctl/ferryctl
[[ -x $FERRYCTL ]] && cp "$FERRYCTL" "$TMP/ferryctl" && FERRYCTL=$TMP/ferryctl || FERRYCTL=""
dirty=""
[[ -z $(git -C "$ROOT" status --porcelain -- server router protocol monitor 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the sources"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$(dirname "$FERRYD")")/CMakeCache.txt" 2>/dev/null || true)
printf 'ferryd: %s (%s, build type %s, binary of %s); commit %s%s\n' "$FERRYD" \
    "$("$FERRYD_BIN" --version 2>&1 | head -n 1)" "${build_type:-unknown}" \
    "$(date -r "$FERRYD" '+%F %T')" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" "$dirty"
printf 'mariadb-binlog: %s\n' "$(mariadb-binlog --version | head -n 1)"

# The private lab, from scratch.
if [[ -e $BENCH_LAB_DIR ]]; then
    log "removing the previous private lab in $BENCH_LAB_DIR"
    lab_do wipe
fi
LAB_USED=1
lab_do up standalone
printf 'private lab: %s (port offset %s): s1 %s:%s (%s), r1 %s:%s\n' "$BENCH_LAB_DIR" "$BENCH_LAB_PORT_OFFSET" \
    "$HOST" "$S1_PORT" "$(s1_sql "SELECT VERSION()")" "$HOST" "$R1_PORT"

# The tables: created with sql_log_bin=0 on s1 (the binlog holds only the
# rows), and by this script on r1, which can then use another engine and an
# extra column.
s1_sql "SET SESSION sql_log_bin = 0;
    CREATE DATABASE bench;
    CREATE TABLE bench.wide (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        k INT NOT NULL, pad VARCHAR(1000) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=latin1;
    CREATE TABLE bench.lag (run VARCHAR(8) NOT NULL, id INT NOT NULL,
        committed TIMESTAMP(6) NOT NULL, PRIMARY KEY (run, id)) ENGINE=InnoDB;
    CREATE TABLE bench.load (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        k INT NOT NULL, pad VARCHAR(1000) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=latin1"

# ================================================================ 1. catch-up

printf '\n== 1. Catch-up (load average %s) ==\n' "$(loadavg)"
rows=$((BENCH_RELAY_CHUNK_MB * MIB / 1015))
target=$((BENCH_RELAY_MB * MIB))
ntrx=0
t0=$(now)
while :; do
    bytes=$(s1_sql "SHOW BINARY LOGS" | sum_sizes)
    (( bytes < target )) || break
    s1_sql "INSERT INTO bench.wide (k, pad) SELECT seq, RPAD(seq, 1000, 'abcdefghij') FROM bench.seq_1_to_$rows"
    ntrx=$((ntrx + 1))
done
gen_s=$(since "$t0")
MASTER_GTID=$(s1_sql "SELECT @@gtid_binlog_pos")
MASTER_FILES=$(s1_sql "SHOW BINARY LOGS" | wc -l)
printf 'generated %s MB of binlog on s1 in %s s: %s INSERT ... SELECT of %s rows of ~1 KB (%s MB/s); %s file(s), GTID %s\n' \
    "$(mb "$bytes")" "$gen_s" "$ntrx" "$rows" "$(calc "$bytes / $MIB / $gen_s" %.1f)" "$MASTER_FILES" "$MASTER_GTID"

# ferryd #1: a relay following s1 through mariadbmon.
RELAY_PORT=$(free_port)
FERRY_SOCK=$TMP/ferryd1.sock
mkdir -p "$TMP/data1"
cat >"$TMP/ferryd1.conf" <<EOF
# generated by test/bench/bench_relay.sh
ferry = { threads = 2; log_level = "notice"; log_file = "-";
          datadir = "$TMP/data1"; admin_socket = "$FERRY_SOCK"; };
servers = ( { name = "s1"; address = "$HOST"; port = $S1_PORT; } );
monitors = ( { name = "mon"; module = "mariadbmon"; servers = [ "s1" ];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 500; } );
services = ( { name = "relay"; router = "binlogrouter"; cluster = "mon";
               user = "repl"; password = "repl_pw"; server_id = $RELAY_SERVER_ID; } );
listeners = ( { name = "relay-listener"; service = "relay"; address = "$HOST"; port = $RELAY_PORT; } );
EOF
t0=$(now)
start_ferry ferryd1
wait_relay_has "$MASTER_GTID" 1800
ingest_s=$(since "$t0")
RELAY_BYTES=$(relay_sql "SHOW BINARY LOGS" | sum_sizes)
printf 'ferryd pid %s, relay on port %s (threads = 2, sync_binlog = commit): it has %s after %s s (from start of ferryd): %s MB in %s file(s), %s MB/s ingest\n' \
    "$FERRY_PID" "$RELAY_PORT" "$(relay_gtid)" "$ingest_s" "$(mb "$RELAY_BYTES")" \
    "$(relay_sql "SHOW BINARY LOGS" | wc -l)" "$(calc "$RELAY_BYTES / $MIB / $ingest_s" %.1f)"
summary '%-44s %s MB in %s s = %s MB/s' "relay ingest from s1 (empty relay)" "$(mb "$RELAY_BYTES")" "$ingest_s" \
    "$(calc "$RELAY_BYTES / $MIB / $ingest_s" %.1f)"

# ---- mariadb-binlog --raw of everything, relay vs direct.

declare -A RAW_S RAW_B RAW_CPU
# raw_read TARGET SINK ROUND: mariadb-binlog --raw --to-last-log of every file
# of TARGET (relay | direct). SINK dir: files in a temp dir (counted, then
# removed); null: the same names as symlinks to /dev/null (no write cost).
# RAW_CPU: CPU seconds of the serving process (ferryd, or s1's mariadbd).
raw_read() {
    local target=$1 sink=$2 k=$1,$2,$3 port names first out t0 p0 p1 rc=0 n server=$FERRY_PID
    if [[ $target == relay ]]; then
        port=$RELAY_PORT
        names=$(relay_sql "SHOW BINARY LOGS" | cut -f1)
    else
        port=$S1_PORT
        server=$S1_PID
        names=$(s1_sql "SHOW BINARY LOGS" | cut -f1)
    fi
    first=$(head -n 1 <<<"$names")
    out=$TMP/raw.$target.$sink
    rm -rf "$out"
    mkdir -p "$out"
    if [[ $sink == null ]]; then
        for n in $names; do ln -s /dev/null "$out/$n"; done
    fi
    p0=$(cpu_ticks "$server")
    t0=$(now)
    mariadb-binlog --no-defaults --read-from-remote-server --host="$HOST" --port="$port" \
        --user=repl --password=repl_pw --raw --to-last-log --result-file="$out/" "$first" \
        2>"$TMP/raw.err" || rc=$?
    RAW_S[$k]=$(since "$t0" %.3f)
    p1=$(cpu_ticks "$server")
    RAW_CPU[$k]=$(calc "($p1 - $p0) / $CLK_TCK" %.2f)
    if [[ $sink == dir ]]; then
        RAW_B[$k]=$(find "$out" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }')
    else
        RAW_B[$k]=${RAW_B[$target,dir,$3]:-}
    fi
    rm -rf "$out"
    if (( rc != 0 )) || [[ -s $TMP/raw.err ]]; then
        FAILED=1
        printf '  !! mariadb-binlog from %s (%s) exit status %s; stderr:\n' "$target" "$first" "$rc"
        sed 's/^/     /' "$TMP/raw.err"
        [[ $target != relay ]] || ferry_log_tail 20 | sed 's/^/     /'
        RAW_S[$k]=-
    fi
}

printf '\nmariadb-binlog --read-from-remote-server --raw --to-last-log of all files (%s rounds, alternating):\n' "$BENCH_RELAY_ROUNDS"
S1_PID=$(cat "$BENCH_LAB_DIR/s1/mariadbd.pid")
printf '  %-7s %-5s %-6s %9s %9s %9s %14s %14s\n' round sink from MB s MB/s "server CPU s" "CPU s per GB"
# Warm-up, not counted: in every trial run the first 1 GB written into the
# temp dir was 2x slower than the later ones, whatever the source.
raw_read direct dir 0
printf '  %-7s %-5s %-6s %9s %9s   (warm-up, not counted)\n' 0 dir direct "$(mb "${RAW_B[direct,dir,0]:-0}")" "${RAW_S[direct,dir,0]}"
for ((r = 1; r <= BENCH_RELAY_ROUNDS; r++)); do
    for sink in dir null; do
        for target in direct relay; do
            raw_read "$target" "$sink" "$r"
            k=$target,$sink,$r
            mbps=-
            num "${RAW_S[$k]}" && num "${RAW_B[$k]:-}" && mbps=$(calc "${RAW_B[$k]} / $MIB / ${RAW_S[$k]}" %.1f)
            printf '  %-7s %-5s %-6s %9s %9s %9s %14s %14s\n' "$r" "$sink" "$target" \
                "$(num "${RAW_B[$k]:-}" && mb "${RAW_B[$k]}" || echo -)" "${RAW_S[$k]}" "$mbps" "${RAW_CPU[$k]}" \
                "$(num "${RAW_B[$k]:-}" && calc "${RAW_CPU[$k]} * 1073741824 / ${RAW_B[$k]}" %.2f || echo -)"
        done
    done
done

# best_mbps TARGET SINK: the best MB/s over the rounds.
best_mbps() {
    local r k best=- v
    for ((r = 1; r <= BENCH_RELAY_ROUNDS; r++)); do
        k=$1,$2,$r
        if ! num "${RAW_S[$k]}" || ! num "${RAW_B[$k]:-}"; then continue; fi
        v=$(calc "${RAW_B[$k]} / $MIB / ${RAW_S[$k]}" %.1f)
        if [[ $best == - ]] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v; fi
    done
    echo "$best"
}
# cpu_per_gb TARGET: the serving process's CPU s per GB over all reads.
cpu_per_gb() {
    local r sink k c=0 b=0
    for ((r = 1; r <= BENCH_RELAY_ROUNDS; r++)); do
        for sink in dir null; do
            k=$1,$sink,$r
            if num "${RAW_S[$k]}" && num "${RAW_B[$k]:-}"; then
                c=$(calc "$c + ${RAW_CPU[$k]}" %.2f)
                b=$((b + ${RAW_B[$k]}))
            fi
        done
    done
    ratio "$c" "$(calc "$b / 1073741824" %.3f)"
}
printf 'CPU of the serving process per GB read (all reads): s1 mariadbd %s s, ferryd %s s\n' \
    "$(cpu_per_gb direct)" "$(cpu_per_gb relay)"
summary '%-44s s1 mariadbd %s s, ferryd %s s' "server CPU per GB (mariadb-binlog reads)" \
    "$(cpu_per_gb direct)" "$(cpu_per_gb relay)"
for sink in dir null; do
    d=$(best_mbps direct "$sink")
    rl=$(best_mbps relay "$sink")
    rr=$(ratio "$rl" "$d")
    what="files in a temp dir"
    [[ $sink == dir ]] || what="symlinks to /dev/null"
    printf 'best of %s, output to %s: direct %s MB/s, relay %s MB/s, relay/direct %s   goal >= 1.5: %s\n' \
        "$BENCH_RELAY_ROUNDS" "$what" "$d" "$rl" "$rr" "$(verdict "$rr" '>=' 1.5)"
    summary '%-44s direct %s MB/s, relay %s MB/s, ratio %s (goal >= 1.5: %s)' \
        "mariadb-binlog --raw, output $sink" "$d" "$rl" "$rr" "$(verdict "$rr" '>=' 1.5)"
done

# ---- a fresh replica (r1), relay vs direct.

declare -A CU_IO CU_SQL
# catchup TARGET PORT: r1 from nothing to MASTER_GTID; times the IO thread
# (Gtid_IO_Pos) and the SQL thread (gtid_slave_pos).
catchup() {
    local target=$1 port=$2 t0 st io pos deadline=$((SECONDS + BENCH_RELAY_REPLICA_TIMEOUT)) e
    r1_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL gtid_slave_pos = '';
        SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS bench; CREATE DATABASE bench;
        CREATE TABLE bench.wide (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
            k INT NOT NULL, pad VARCHAR(1000) NOT NULL) ENGINE=$BENCH_RELAY_REPLICA_ENGINE DEFAULT CHARSET=latin1"
    CU_IO[$target]=-
    CU_SQL[$target]=-
    t0=$(now)
    r1_point "$port"
    while :; do
        st=$(slave_status "$R1_PORT" admin admin_pw)
        for e in Last_IO_Error Last_SQL_Error; do
            if [[ -n $(field "$e" <<<"$st") ]]; then
                FAILED=1
                printf '  !! r1 replicating from %s: %s: %s\n' "$target" "$e" "$(field "$e" <<<"$st")"
                [[ $target != relay ]] || ferry_log_tail 20 | sed 's/^/     /'
                r1_sql "STOP SLAVE"
                return 0
            fi
        done
        io=$(field Gtid_IO_Pos <<<"$st")
        if [[ ${CU_IO[$target]} == - ]] && gtid_covers "$io" "$MASTER_GTID"; then
            CU_IO[$target]=$(since "$t0")
        fi
        pos=$(r1_sql "SELECT @@gtid_slave_pos")
        if gtid_covers "$pos" "$MASTER_GTID"; then
            CU_SQL[$target]=$(since "$t0")
            [[ ${CU_IO[$target]} != - ]] || CU_IO[$target]=${CU_SQL[$target]}
            break
        fi
        if (( SECONDS >= deadline )); then
            FAILED=1
            printf '  !! r1 from %s: not caught up after %s s (IO at %s, SQL at %s, want %s)\n' \
                "$target" "$BENCH_RELAY_REPLICA_TIMEOUT" "$io" "$pos" "$MASTER_GTID"
            break
        fi
        sleep 0.25
    done
    r1_sql "STOP SLAVE"
}

if [[ $BENCH_RELAY_REPLICA == 1 ]]; then
    printf '\nfresh replica r1 (tables %s, empty gtid_slave_pos) pulling everything (%s MB of binlog):\n' \
        "$BENCH_RELAY_REPLICA_ENGINE" "$(mb "$bytes")"
    for target in relay direct; do
        port=$RELAY_PORT
        [[ $target == relay ]] || port=$S1_PORT
        catchup "$target" "$port"
        printf '  from %-6s IO thread has everything after %7s s (%s MB/s), SQL thread after %7s s (%s MB/s)\n' \
            "$target" "${CU_IO[$target]}" \
            "$(num "${CU_IO[$target]}" && calc "$bytes / $MIB / ${CU_IO[$target]}" %.1f || echo -)" \
            "${CU_SQL[$target]}" \
            "$(num "${CU_SQL[$target]}" && calc "$bytes / $MIB / ${CU_SQL[$target]}" %.1f || echo -)"
    done
    rio=$(ratio "${CU_IO[direct]}" "${CU_IO[relay]}")
    rsq=$(ratio "${CU_SQL[direct]}" "${CU_SQL[relay]}")
    printf '  speed-up of the relay (direct time / relay time): IO %s, IO+SQL %s  (SQL apply on r1 dominates IO+SQL)\n' "$rio" "$rsq"
    summary '%-44s IO: direct %s s, relay %s s (%sx); IO+SQL: direct %s s, relay %s s (%sx)' \
        "fresh replica catch-up ($BENCH_RELAY_REPLICA_ENGINE)" "${CU_IO[direct]}" "${CU_IO[relay]}" "$rio" \
        "${CU_SQL[direct]}" "${CU_SQL[relay]}" "$rsq"
    r1_sql "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS bench"
else
    printf '\nfresh replica catch-up: skipped (BENCH_RELAY_REPLICA=%s)\n' "$BENCH_RELAY_REPLICA"
fi

# ================================================================ 2. added lag

printf '\n== 2. Added lag: commit on s1 -> applied on r1 (load average %s) ==\n' "$(loadavg)"
# r1's copy of bench.lag has an extra column `arrived`, set by a trigger to
# SYSDATE(6) (the real clock, not the event's timestamp) when the SQL thread
# applies the row; slave_run_triggers_for_rbr=YES makes row events fire it.
# A DEFAULT CURRENT_TIMESTAMP(6) or SYSDATE(6) column is not enough: for row
# events the replica leaves extra columns at zero / NULL.
LAG_START=$(s1_sql "SELECT @@gtid_binlog_pos")
r1_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL slave_run_triggers_for_rbr = YES;
    SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS bench; CREATE DATABASE bench;
    CREATE TABLE bench.lag (run VARCHAR(8) NOT NULL, id INT NOT NULL, committed TIMESTAMP(6) NOT NULL,
        arrived TIMESTAMP(6) NULL, PRIMARY KEY (run, id)) ENGINE=InnoDB;
    CREATE TRIGGER bench.lag_arrived BEFORE INSERT ON bench.lag FOR EACH ROW SET NEW.arrived = SYSDATE(6);
    SET GLOBAL gtid_slave_pos = '$LAG_START'"
gap=$(calc "$BENCH_RELAY_LAG_GAP_MS / 1000" %.3f)
declare -A LAG
# lag_run TARGET PORT: r1 tails TARGET; s1 commits BENCH_RELAY_LAG_N rows one
# at a time (BENCH_RELAY_LAG_GAP_MS apart) after 20 warm-up rows.
lag_run() {
    local target=$1 port=$2 i deadline n
    r1_point "$port"
    {
        for ((i = 1; i <= 20; i++)); do
            printf "INSERT INTO bench.lag (run, id, committed) VALUES ('w-%s', %d, NOW(6));\nDO SLEEP(%s);\n" \
                "$target" "$i" "$gap"
        done
        for ((i = 1; i <= BENCH_RELAY_LAG_N; i++)); do
            printf "INSERT INTO bench.lag (run, id, committed) VALUES ('%s', %d, NOW(6));\nDO SLEEP(%s);\n" \
                "$target" "$i" "$gap"
        done
    } >"$TMP/lag-$target.sql"
    mariadb --no-defaults -h"$HOST" -P"$S1_PORT" -uadmin -padmin_pw <"$TMP/lag-$target.sql"
    deadline=$((SECONDS + 120))
    while :; do
        n=$(r1_sql "SELECT COUNT(*) FROM bench.lag WHERE run = '$target'")
        (( n >= BENCH_RELAY_LAG_N )) && break
        r1_check
        (( SECONDS < deadline )) || die_ferry "r1 has $n of $BENCH_RELAY_LAG_N rows of run '$target' after 120 s"
        sleep 0.2
    done
    r1_sql "SELECT TIMESTAMPDIFF(MICROSECOND, committed, arrived) / 1000 FROM bench.lag WHERE run = '$target'" \
        >"$TMP/lag-$target.ms"
    LAG[$target]=$(pstats "$TMP/lag-$target.ms")
}
lag_run relay "$RELAY_PORT"
lag_run direct "$S1_PORT"
r1_sql "STOP SLAVE"
printf '%s small transactions each, one at a time %s ms apart (after 20 warm-up rows); ms from NOW(6) at the INSERT on s1 to SYSDATE(6) when r1 applied it:\n' \
    "$BENCH_RELAY_LAG_N" "$BENCH_RELAY_LAG_GAP_MS"
printf '  %-7s %6s %8s %8s %8s %8s\n' from n p50 p99 max mean
for target in direct relay; do
    read -r n p50 p99 mx mean <<<"${LAG[$target]}"
    printf '  %-7s %6s %8s %8s %8s %8s\n' "$target" "$n" "$p50" "$p99" "$mx" "$mean"
done
read -r _ dp50 dp99 _ _ <<<"${LAG[direct]}"
read -r _ rp50 rp99 _ _ <<<"${LAG[relay]}"
printf '  added by the relay: p50 %s ms, p99 %s ms\n' "$(calc "$rp50 - $dp50")" "$(calc "$rp99 - $dp99")"
summary '%-44s direct p50 %s / p99 %s ms, relay p50 %s / p99 %s ms (added p50 %s, p99 %s ms)' \
    "lag commit -> applied on r1" "$dp50" "$dp99" "$rp50" "$rp99" "$(calc "$rp50 - $dp50")" "$(calc "$rp99 - $dp99")"

# ================================================================ 3. concurrent dumps

printf '\n== 3. %s concurrent mariadb-binlog dumps of the relay while s1 writes ==\n' "$BENCH_RELAY_READERS"
# Two runs of BENCH_RELAY_READERS readers (mariadb-binlog --raw --stop-never,
# output to symlinks to /dev/null, so no disk write is measured), each
# BENCH_RELAY_DUMP_SECS long while s1 commits a ~100 KB transaction every
# 50 ms (~2 MB/s): "tail" readers start at the relay's end (SHOW MASTER
# STATUS) and receive what s1 writes (fan-out; afterwards every reader must
# have received the same bytes); "backlog" readers start at the relay's first
# file and read the whole history as fast as they can (saturation). Bytes
# served = what the readers wrote (wchar of /proc/PID/io: mariadb-binlog
# --raw writes every event it receives).
SINK=$TMP/dump-sink
mkdir -p "$SINK"
{
    for ((i = 0; i < BENCH_RELAY_DUMP_SECS * 20 + 100; i++)); do
        printf "INSERT INTO bench.load (k, pad) SELECT seq, RPAD(seq, 1000, 'klmnopqrst') FROM bench.seq_1_to_100;\nDO SLEEP(0.05);\n"
    done
} >"$TMP/dump-load.sql"
utc() { date -u '+%FT%T.%3NZ'; }
# readers.sh N PIDFILE ERRDIR ARGS...: N mariadb-binlog ARGS, server ids
# 20001.., in the caller's session; waits for them.
cat >"$TMP/readers.sh" <<'SHEOF'
n=$1 pidfile=$2 errdir=$3
shift 3
for ((i = 1; i <= n; i++)); do
    mariadb-binlog --no-defaults --stop-never-slave-server-id=$((20000 + i)) "$@" </dev/null 2>"$errdir/$i" &
    echo "$!" >>"$pidfile"
done
wait
SHEOF

# dump_run MODE (tail | backlog)
dump_run() {
    local mode=$1 names first last base lastn i pid dead=0 backlog=0 pos_args=() file pos
    local w_gtid0 w_bytes0 w_gtid1 w_bytes1 f0 f1 rss0 rss1 t0 t1 win total=0 minb=-1 maxb=0 cticks=0 b
    local fcpu gb relay_behind u0 u1 s1_lines same="-" deadline
    local -a wc0 ct0 wend
    names=$(relay_sql "SHOW BINARY LOGS" | cut -f1)
    first=$(head -n 1 <<<"$names")
    last=$(tail -n 1 <<<"$names")
    base=${last%.*}
    lastn=$((10#${last##*.}))
    for ((i = 1; i <= lastn + 50; i++)); do ln -sf /dev/null "$SINK/$(printf '%s.%06d' "$base" "$i")"; done
    if [[ $mode == backlog ]]; then
        backlog=$(relay_sql "SHOW BINARY LOGS" | sum_sizes)
        pos_args=("$first")
    else
        read -r file pos _ <<<"$(relay_sql "SHOW MASTER STATUS")"
        pos_args=(--start-position="$pos" "$file")
        first="$file:$pos"
    fi
    printf '\n-- %s: %s readers from %s%s (load average %s) --\n' "$mode" "$BENCH_RELAY_READERS" "$first" \
        "$([[ $mode == backlog ]] && echo " (backlog $(mb "$backlog") MB each)")" "$(loadavg)"
    mkdir -p "$TMP/dump-err-$mode"
    : >"$TMP/readers-$mode.pids"
    setsid bash "$TMP/readers.sh" "$BENCH_RELAY_READERS" "$TMP/readers-$mode.pids" "$TMP/dump-err-$mode" \
        --read-from-remote-server --host="$HOST" --port="$RELAY_PORT" --user=repl --password=repl_pw \
        --raw --stop-never --result-file="$SINK/" "${pos_args[@]}" </dev/null >/dev/null 2>&1 &
    READERS_SID=$!
    deadline=$((SECONDS + 20))
    while (( $(wc -l <"$TMP/readers-$mode.pids") < BENCH_RELAY_READERS )); do
        (( SECONDS < deadline )) || die "the readers did not start within 20 s"
        sleep 0.1
    done
    mapfile -t READER_PIDS <"$TMP/readers-$mode.pids"
    sleep 2
    for pid in "${READER_PIDS[@]}"; do alive "$pid" || dead=$((dead + 1)); done
    w_gtid0=$(s1_sql "SELECT @@gtid_binlog_pos")
    w_bytes0=$(s1_sql "SHOW BINARY LOGS" | sum_sizes)
    s1_lines=$(wc -l <"$BENCH_LAB_DIR/s1/error.log")
    mariadb --no-defaults -h"$HOST" -P"$S1_PORT" -uadmin -padmin_pw <"$TMP/dump-load.sql" >/dev/null 2>"$TMP/dump-load.err" &
    LOADER_PID=$!
    for i in "${!READER_PIDS[@]}"; do
        wc0[i]=$(wchar "${READER_PIDS[i]}")
        ct0[i]=$(cpu_ticks "${READER_PIDS[i]}")
    done
    f0=$(cpu_ticks "$FERRY_PID")
    rss0=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FERRY_PID/status")
    u0=$(utc)
    t0=$(now)
    sleep "$BENCH_RELAY_DUMP_SECS"
    rss1=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FERRY_PID/status" 2>/dev/null || echo 0)
    f1=$(cpu_ticks "$FERRY_PID")
    win=$(since "$t0")
    u1=$(utc)
    for i in "${!READER_PIDS[@]}"; do
        pid=${READER_PIDS[i]}
        if alive "$pid"; then
            b=$(($(wchar "$pid") - wc0[i]))
            cticks=$((cticks + $(cpu_ticks "$pid") - ct0[i]))
        else
            b=0
            dead=$((dead + 1))
        fi
        total=$((total + b))
        if (( minb < 0 || b < minb )); then minb=$b; fi
        if (( b > maxb )); then maxb=$b; fi
    done
    stop_pid "$LOADER_PID"
    LOADER_PID=""
    alive "$FERRY_PID" || die_ferry "ferryd exited during the concurrent dumps"
    w_gtid1=$(s1_sql "SELECT @@gtid_binlog_pos")
    w_bytes1=$(s1_sql "SHOW BINARY LOGS" | sum_sizes)
    t1=$(now)
    wait_relay_has "$w_gtid1" 120
    relay_behind=$(since "$t1")
    if [[ $mode == tail ]]; then
        # Every reader must end with the same bytes: all of s1's writes.
        deadline=$((SECONDS + 20))
        while :; do
            wend=()
            for pid in "${READER_PIDS[@]}"; do wend+=("$(wchar "$pid")"); done
            same=$(printf '%s\n' "${wend[@]}" | sort -n | uniq | wc -l)
            [[ $same == 1 ]] && break
            (( SECONDS < deadline )) || break
            sleep 0.5
        done
        if [[ $same == 1 ]]; then
            same="yes, ${wend[0]} bytes each"
        else
            FAILED=1
            same="NO: $(printf '%s\n' "${wend[@]}" | sort -n | uniq -c | head -n 5 | awk '{ printf "%s reader(s) %s bytes; ", $1, $2 }')"
        fi
    fi
    stop_readers
    fcpu=$(calc "($f1 - $f0) / $CLK_TCK" %.2f)
    gb=$(calc "$total / 1073741824" %.3f)
    printf 'window %s s (%s .. %s UTC)\n' "$win" "$u0" "$u1"
    printf 'served: %s MB in all = %s MB/s (per reader min %s, max %s MB); readers that died: %s\n' \
        "$(mb "$total")" "$(calc "$total / $MIB / $win" %.1f)" "$(mb "$((minb < 0 ? 0 : minb))")" "$(mb "$maxb")" "$dead"
    printf 'ferryd CPU: %s s in the window = %s%% of one CPU, %s s per GB served; VmRSS %s -> %s MB\n' \
        "$fcpu" "$(calc "100 * $fcpu / $win" %.0f)" "$(ratio "$fcpu" "$gb")" "$(mb $((rss0 * 1024)))" "$(mb $((${rss1:-0} * 1024)))"
    printf 'readers CPU (all %s mariadb-binlog): %s s\n' "$BENCH_RELAY_READERS" "$(calc "$cticks / $CLK_TCK" %.1f)"
    printf 's1 committed %s of the ~%s transactions the writer meant to (%s MB of binlog, %s -> %s); the relay had all of it %s s after the window\n' \
        "$(( ${w_gtid1##*-} - ${w_gtid0##*-} ))" "$((BENCH_RELAY_DUMP_SECS * 20))" "$(mb $((w_bytes1 - w_bytes0)))" \
        "$w_gtid0" "$w_gtid1" "$relay_behind"
    [[ $mode != tail ]] || printf 'every reader received the same bytes: %s\n' "$same"
    if [[ $mode == backlog ]] && (( maxb >= backlog )); then
        printf 'note: some readers got through the whole backlog and then only tailed s1'"'"'s writes; raise BENCH_RELAY_MB for a saturated figure\n'
    fi
    # (Less the writer's connection, which this script cuts at the end.)
    tail -n +"$((s1_lines + 1))" "$BENCH_LAB_DIR/s1/error.log" |
        grep -v "Aborted connection .* user: 'admin' host: '127.0.0.1' (Got an error reading" >"$TMP/s1-new.log" || true
    if [[ -s $TMP/s1-new.log ]]; then
        printf 's1 error log during the run:\n'
        tail -n 10 "$TMP/s1-new.log" | sed 's/^/  /'
    fi
    if (( dead > 0 )) || [[ -s $TMP/dump-load.err ]]; then
        FAILED=1
        for f in "$TMP/dump-err-$mode"/*; do
            if [[ -s $f ]]; then printf '  !! reader %s: %s\n' "${f##*/}" "$(head -c 300 "$f")"; fi
        done | head -n 10
        [[ ! -s $TMP/dump-load.err ]] || printf '  !! writer: %s\n' "$(head -c 300 "$TMP/dump-load.err")"
        ferry_log_tail 20 | sed 's/^/     /'
    fi
    summary '%-44s %s MB/s in all, ferryd %s CPU s per GB (%s%% of a CPU); s1 committed %s of ~%s trx; %s died' \
        "$BENCH_RELAY_READERS concurrent dumps ($mode)" "$(calc "$total / $MIB / $win" %.1f)" "$(ratio "$fcpu" "$gb")" \
        "$(calc "100 * $fcpu / $win" %.0f)" "$(( ${w_gtid1##*-} - ${w_gtid0##*-} ))" "$((BENCH_RELAY_DUMP_SECS * 20))" "$dead"
}
# BENCH_RELAY_READERS=0 skips the runs (section 3's header is printed anyway).
(( BENCH_RELAY_READERS > 0 )) || { printf 'skipped (BENCH_RELAY_READERS=0)\n'; BENCH_RELAY_DUMP_MODES=""; }
for mode in $BENCH_RELAY_DUMP_MODES; do
    case $mode in
        tail | backlog) dump_run "$mode" ;;
        *) die "BENCH_RELAY_DUMP_MODES: unknown mode '$mode' (tail, backlog)" ;;
    esac
done
stop_ferry
nlog1=$(grep -cvE '^[[:space:]]*$' "$FERRY_LOG" || true)
printf '\nferryd #1 stopped; it logged %s line(s) at log_level "notice"; warnings and errors:\n' "$nlog1"
grep -iE 'warn|error' "$FERRY_LOG" | tail -n 10 | sed 's/^/  /' || printf '  none\n'

# ================================================================ 4. failover stall

if [[ $BENCH_RELAY_FAILOVER != 1 ]]; then
    printf '\n== 4. Failover stall: skipped (BENCH_RELAY_FAILOVER=%s) ==\n' "$BENCH_RELAY_FAILOVER"
else
    printf '\n== 4. Failover stall: kill -9 of the Galera master, %s times ==\n' "$BENCH_RELAY_KILLS"
    [[ -n $FERRYCTL ]] || die "ferryctl is missing next to $FERRYD (the writer asks it for the master)"
    lab_do down s1
    lab_do up galera
    printf 'private Galera cluster: g1..g3 on %s..%s (load average %s)\n' "$G1_PORT" "$G3_PORT" "$(loadavg)"
    node_sql g1 "CREATE DATABASE IF NOT EXISTS bench;
        CREATE TABLE bench.fo (id INT NOT NULL PRIMARY KEY, committed TIMESTAMP(6) NOT NULL) ENGINE=InnoDB"
    FO_START=$(node_sql g1 "SELECT @@gtid_binlog_pos")
    RELAY_PORT=$(free_port)
    FERRY_SOCK=$TMP/ferryd2.sock
    mkdir -p "$TMP/data2"
    cat >"$TMP/ferryd2.conf" <<EOF
# generated by test/bench/bench_relay.sh
ferry = { threads = 2; log_level = "notice"; log_file = "-";
          datadir = "$TMP/data2"; admin_socket = "$FERRY_SOCK"; };
servers = (
  { name = "g1"; address = "$HOST"; port = $G1_PORT; priority = 1; },
  { name = "g2"; address = "$HOST"; port = $G2_PORT; priority = 2; },
  { name = "g3"; address = "$HOST"; port = $G3_PORT; priority = 3; }
);
monitors = ( { name = "galera"; module = "galeramon"; servers = [ "g1", "g2", "g3" ];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = $BENCH_RELAY_INTERVAL_MS;
               connect_timeout = 2; read_timeout = 2; write_timeout = 2; use_priority = true; } );
services = ( { name = "relay"; router = "binlogrouter"; cluster = "galera"; user = "repl";
               password = "repl_pw"; server_id = $RELAY_SERVER_ID; heartbeat_period = 1; net_timeout = 5;
               gtid_start_pos = "$FO_START"; } );
listeners = ( { name = "relay-listener"; service = "relay"; address = "$HOST"; port = $RELAY_PORT; } );
EOF
    start_ferry ferryd2
    printf 'ferryd #2 pid %s: galeramon (interval_ms %s, use_priority, g1/g2/g3 = 1/2/3), relay on port %s from %s\n' \
        "$FERRY_PID" "$BENCH_RELAY_INTERVAL_MS" "$RELAY_PORT" "$FO_START"

    # r1 tails the relay; its bench.fo stamps the arrival like bench.lag.
    R1_LOG_LINES=$(wc -l <"$BENCH_LAB_DIR/r1/error.log")
    r1_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL slave_run_triggers_for_rbr = YES;
        SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS bench; CREATE DATABASE bench;
        CREATE TABLE bench.fo (id INT NOT NULL PRIMARY KEY, committed TIMESTAMP(6) NOT NULL,
            arrived TIMESTAMP(6) NULL) ENGINE=InnoDB;
        CREATE TRIGGER bench.fo_arrived BEFORE INSERT ON bench.fo FOR EACH ROW SET NEW.arrived = SYSDATE(6);
        SET GLOBAL gtid_slave_pos = '$FO_START'"
    r1_point "$RELAY_PORT"

    # The writer: a row every BENCH_RELAY_WRITE_MS on the current master (as
    # ferryd's galeramon says), reconnecting on error; one line per row:
    # "id commit_return_epoch node" ("-" for a commit whose fate a lost
    # connection hid and that turned out to be there).
    cat >"$TMP/fo_writer.py" <<'PYEOF'
import json, os, subprocess, sys, threading, time
import pymysql

host, nodes_arg, ferryctl, sock, out_path, stop_path, period = sys.argv[1:8]
period = float(period)
order = [n.split(":")[0] for n in nodes_arg.split(",")]
ports = {n.split(":")[0]: int(n.split(":")[1]) for n in nodes_arg.split(",")}
master = [None]

def poll():
    while not os.path.exists(stop_path):
        try:
            p = subprocess.run([ferryctl, "-S", sock, "--json", "list", "servers"],
                               capture_output=True, text=True, timeout=5)
            ms = [s["name"] for s in json.loads(p.stdout or "[]") if "Master" in s.get("state", [])]
            master[0] = ms[0] if ms else None
        except Exception:
            pass
        time.sleep(0.2)

threading.Thread(target=poll, daemon=True).start()
out = open(out_path, "a", buffering=1)
conn, node, i, pending = None, None, 1, False
next_t = time.time()
while not os.path.exists(stop_path):
    want = master[0]
    if conn is not None and want and want != node:
        out.write(f"# {time.time():.6f} following the master {want} (was on {node})\n")
        conn.close()
        conn = None
    if conn is None:
        for n in ([want] if want else []) + [n for n in order if n != want]:
            try:
                conn = pymysql.connect(host=host, port=ports[n], user="admin", password="admin_pw",
                                       database="bench", autocommit=True, connect_timeout=2,
                                       read_timeout=60, write_timeout=60)
                node = n
                break
            except Exception:
                conn = None
        if conn is None:
            time.sleep(0.05)
            continue
        if pending:
            try:
                with conn.cursor() as cur:
                    cur.execute("SET SESSION wsrep_sync_wait = 1")
                    cur.execute("SELECT COUNT(*) FROM fo WHERE id = %s", (i,))
                    there = cur.fetchone()[0]
                    cur.execute("SET SESSION wsrep_sync_wait = 0")
            except Exception as e:
                out.write(f"# {time.time():.6f} check of row {i} on {node} failed: {e}\n")
                conn = None
                continue
            if there:
                out.write(f"{i} - {node}\n")
                i += 1
            pending = False
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO fo (id, committed) VALUES (%s, NOW(6))", (i,))
        out.write(f"{i} {time.time():.6f} {node}\n")
        i += 1
    except pymysql.err.IntegrityError:
        out.write(f"{i} - {node}\n")
        i += 1
    except Exception as e:
        out.write(f"# {time.time():.6f} error on {node}: {e}\n")
        try:
            conn.close()
        except Exception:
            pass
        conn, pending = None, True
        continue
    next_t += period
    d = next_t - time.time()
    if d > 0:
        time.sleep(d)
    else:
        next_t = time.time()
PYEOF
    rm -f "$TMP/writer.stop"
    "$PY" "$TMP/fo_writer.py" "$HOST" "g1:$G1_PORT,g2:$G2_PORT,g3:$G3_PORT" "$FERRYCTL" "$FERRY_SOCK" \
        "$TMP/writer.log" "$TMP/writer.stop" "$(calc "$BENCH_RELAY_WRITE_MS / 1000" %.3f)" \
        </dev/null >"$TMP/writer.out" 2>&1 &
    WRITER_PID=$!

    current_master() {
        "$FERRYCTL" -S "$FERRY_SOCK" --json list servers 2>/dev/null |
            "$PY" -c 'import json, sys
print(next((s["name"] for s in json.load(sys.stdin) if "Master" in s.get("state", [])), ""))' 2>/dev/null || true
    }
    # settle: the cluster is whole, the relay follows the elected master, and
    # r1 has what the cluster had a moment ago.
    settle() {
        local deadline=$((SECONDS + 180)) m="" st="" cl rp
        while :; do
            (( SECONDS < deadline )) || die_ferry "no steady state 180 s after the restart (master '$m', relay upstream port '$(field Master_Port <<<"$st")')"
            alive "$FERRY_PID" || die_ferry "ferryd exited"
            alive "$WRITER_PID" || { cat "$TMP/writer.out" >&2; die "the writer exited"; }
            sleep 0.5
            m=$(current_master)
            [[ -n $m ]] || continue
            st=$(slave_status "$RELAY_PORT" repl repl_pw 2>/dev/null || true)
            [[ $(field Master_Port <<<"$st") == "${NODE_PORT[$m]}" && $(field Slave_IO_Running <<<"$st") == Yes ]] || continue
            cl=$(node_sql "$m" "SELECT @@gtid_binlog_pos" 2>/dev/null) || continue
            cl=$(gtid_domain "$cl" 70)
            r1_check
            rp=$(r1_sql "SELECT @@gtid_slave_pos")
            gtid_covers "$rp" "$cl" && break
        done
        sleep 2
    }
    settle
    declare -a KILL_T KILL_NODE
    for ((k = 1; k <= BENCH_RELAY_KILLS; k++)); do
        victim=$(current_master)
        [[ -n $victim ]] || die_ferry "no master before kill $k"
        pid=$(cat "$BENCH_LAB_DIR/$victim/mariadbd.pid")
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--defaults-file=$BENCH_LAB_DIR/$victim/my.cnf" ||
            die "pid $pid from $BENCH_LAB_DIR/$victim/mariadbd.pid is not $victim's mariadbd"
        kill -KILL "$pid"
        KILL_T[k]=$(now)
        KILL_NODE[k]=$victim
        printf '\n==== bench_relay.sh: killed %s (pid %s) with SIGKILL at %s\n' "$victim" "$pid" "$(date '+%F %T')" \
            >>"$BENCH_LAB_DIR/$victim/error.log"
        log "kill $k: $victim (pid $pid)"
        # The first row committed after the kill, then its arrival on r1.
        deadline=$((SECONDS + 90))
        while :; do
            rid=$(awk -v t="${KILL_T[k]}" '$1 ~ /^[0-9]+$/ && $2 != "-" && $2 + 0 > t + 0 { print $1; exit }' "$TMP/writer.log")
            if [[ -n $rid ]] && [[ -n $(r1_sql "SELECT arrived FROM bench.fo WHERE id = $rid") ]]; then break; fi
            alive "$FERRY_PID" || die_ferry "ferryd exited after kill $k"
            if (( SECONDS >= deadline )); then
                FAILED=1
                printf '  !! kill %s: no transaction committed after the kill reached r1 within 90 s (first committed: %s)\n' "$k" "${rid:-none}"
                ferry_log_tail 20 | sed 's/^/     /'
                break
            fi
            sleep 0.1
        done
        # The survivors evict the dead node in 5-6 s; restart it after that.
        rest=$(calc "${KILL_T[k]} + 8 - $(now)" %.2f)
        if awk -v r="$rest" 'BEGIN { exit !(r > 0) }'; then sleep "$rest"; fi
        lab_do start "$victim"
        lab_do wait-synced
        settle
    done
    touch "$TMP/writer.stop"
    stop_pid "$WRITER_PID"
    WRITER_PID=""
    settle_deadline=$((SECONDS + 60))
    cl=$(gtid_domain "$(node_sql g1 "SELECT @@gtid_binlog_pos")" 70)
    until gtid_covers "$(r1_sql "SELECT @@gtid_slave_pos")" "$cl"; do
        (( SECONDS < settle_deadline )) || { FAILED=1; printf '  !! r1 did not reach %s\n' "$cl"; break; }
        sleep 0.2
    done
    r1_sql "SELECT id, UNIX_TIMESTAMP(arrived) FROM bench.fo" >"$TMP/arrived.txt"
    for ((k = 1; k <= BENCH_RELAY_KILLS; k++)); do printf '%s %s\n' "${KILL_T[k]}" "${KILL_NODE[k]}"; done >"$TMP/kills.txt"
    st=$(slave_status "$R1_PORT" admin admin_pw)
    r1_connects=$(tail -n +"$((R1_LOG_LINES + 1))" "$BENCH_LAB_DIR/r1/error.log" | grep -c 'Slave I/O thread: connected to master' || true)
    wcount=$(grep -cE '^[0-9]+ ' "$TMP/writer.log" || true)
    werr=$(grep -c '^# .* error on' "$TMP/writer.log" || true)
    rcount=$(wc -l <"$TMP/arrived.txt")

    printf '\nkill -> first transaction committed after the kill: its commit on the cluster (writer saw COMMIT return) and its arrival on r1 (trigger, SYSDATE(6)):\n'
    printf '  %-5s %-7s %-8s %9s %9s %12s   %s\n' kill victim "new node" "cluster" "to r1" "relay-added" \
        "ferryd: first transaction after losing (s)"
    "$PY" - "$TMP/writer.log" "$TMP/arrived.txt" "$TMP/kills.txt" "$FERRY_LOG" >"$TMP/failover.txt" <<'PYEOF'
import datetime, re, sys
says = []
pat = re.compile(r"^(\S+Z) .*first transaction from '([^']*)' committed ([0-9.]+) s after losing '([^']*)'")
for line in open(sys.argv[4], errors="replace"):
    m = pat.match(line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
        t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
        says.append((t, f"{m.group(4)}->{m.group(2)}:{m.group(3)}"))
commits, node_of = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3 and f[0].isdigit() and f[1] != "-":
        commits[int(f[0])] = float(f[1])
        node_of[int(f[0])] = f[2]
arrived = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 2 and f[1] != "NULL":
        arrived[int(f[0])] = float(f[1])
for line in open(sys.argv[3]):
    t, victim = line.split()
    t = float(t)
    said = next((s for ts, s in says if ts > t), "-")
    after = sorted(i for i, c in commits.items() if c > t)
    if not after:
        print(victim, "-", "-", "-", "-", said)
        continue
    r = after[0]
    cluster = commits[r] - t
    total = arrived[r] - t if r in arrived else None
    fmt = lambda x: "-" if x is None else f"{x:.3f}"
    print(victim, node_of[r], fmt(cluster), fmt(total), fmt(None if total is None else total - cluster), said)
# baseline: commit -> arrival of every row, in ms
lags = sorted((arrived[i] - c) * 1000 for i, c in commits.items() if i in arrived)
if lags:
    print("#", len(lags), f"{lags[len(lags) // 2]:.2f}", f"{lags[min(len(lags) - 1, int(len(lags) * 0.99))]:.2f}")
PYEOF
    : >"$TMP/fo-total"
    : >"$TMP/fo-cluster"
    : >"$TMP/fo-added"
    k=0
    while read -r victim newnode cluster total added said; do
        [[ $victim != "#" ]] || { FO_BASE="$newnode transactions, p50 $cluster ms, p99 $total ms"; continue; }
        k=$((k + 1))
        printf '  %-5s %-7s %-8s %8ss %8ss %11ss   %s\n' "$k" "$victim" "$newnode" "$cluster" "$total" "$added" "$said"
        num "$total" && echo "$total" >>"$TMP/fo-total"
        num "$cluster" && echo "$cluster" >>"$TMP/fo-cluster"
        num "$added" && echo "$added" >>"$TMP/fo-added"
    done <"$TMP/failover.txt"
    fo_med() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f %.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[NR]; else print "- -" }'; }
    read -r tmed tmax <<<"$(fo_med "$TMP/fo-total")"
    read -r cmed cmax <<<"$(fo_med "$TMP/fo-cluster")"
    read -r amed amax <<<"$(fo_med "$TMP/fo-added")"
    limit=$(calc "$BENCH_RELAY_INTERVAL_MS / 1000 + 0.5" %.1f)
    printf '  %-22s median %ss, max %ss\n' "kill -> at r1:" "$tmed" "$tmax"
    printf '  %-22s median %ss, max %ss\n' "cluster's own stall:" "$cmed" "$cmax"
    printf '  %-22s median %ss, max %ss   target max <= interval_ms + 0.5 s = %s s: %s\n' "relay-added:" \
        "$amed" "$amax" "$limit" "$(verdict "$amax" '<=' "$limit")"
    printf 'commit -> r1 of every row of the phase (normal lag included): %s\n' "${FO_BASE:--}"
    printf 'writer: %s rows committed (every %s ms), %s errors while reconnecting; r1 has %s rows\n' \
        "$wcount" "$BENCH_RELAY_WRITE_MS" "$werr" "$rcount"
    printf 'r1: Slave_IO_Running %s, Slave_SQL_Running %s, Last_IO_Error "%s", Last_SQL_Error "%s"; connects to the relay in the phase: %s (1 = never reconnected)\n' \
        "$(field Slave_IO_Running <<<"$st")" "$(field Slave_SQL_Running <<<"$st")" \
        "$(field Last_IO_Error <<<"$st")" "$(field Last_SQL_Error <<<"$st")" "$r1_connects"
    [[ $r1_connects == 1 ]] || FAILED=1
    printf 'ferryd #2 log, switch lines:\n'
    grep -E "master is now|first transaction from|relay '[^']*': .*(switch|lost|connected|error)" "$FERRY_LOG" |
        tail -n 40 | sed 's/^/  /' || true
    summary '%-44s kill -> r1 median %s s / max %s s; cluster %s / %s s; relay-added %s / %s s (target <= %s s: %s)' \
        "failover stall ($BENCH_RELAY_KILLS kills)" "$tmed" "$tmax" "$cmed" "$cmax" "$amed" "$amax" "$limit" \
        "$(verdict "$amax" '<=' "$limit")"
    stop_ferry
fi

# ================================================================ summary

printf '\n== Summary (MB = 2^20 bytes; load average at the end: %s) ==\n' "$(loadavg)"
for line in "${SUMMARY[@]}"; do printf '  %s\n' "$line"; done
if (( FAILED )); then
    printf '\nbench: some steps failed (see the !! lines above)\n'
    exit 1
fi
