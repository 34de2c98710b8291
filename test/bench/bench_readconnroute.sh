#!/usr/bin/env bash
# Ferry benchmark (issue 2, "Benchmark"): sysbench oltp_point_select with 4 and
# 16 threads against the lab's standalone server s1, in one run: (a) direct,
# (b) through ferryd's readconnroute, (c) through HAProxy in TCP mode, taking
# turns for BENCH_ROUNDS rounds. Prints QPS, QPS ratios and each proxy's CPU
# per query (from /proc/PID/stat) as medians over the rounds, the targets
# with PASS/MISS, ferryd's RSS, and a slow-client memory check (a ~1 GB result
# read slowly through ferryd). Prints figures; it is not a timed test.
# Environment: BENCH_TIME (s per run, 30), BENCH_ROUNDS (3), BENCH_THREADS ("4 16"),
# BENCH_SLOW_ROWS (1000000 rows of 1000 bytes), BENCH_SLOW_RATE (pv -L rate,
# 20m), BENCH_SLOW_RSS_MB (target, 5), BENCH_KEEP_LAB=1 (never stop the lab),
# FERRYD (binary; default build/server/ferryd, built if missing).
# See test/bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/test/bench/lib.sh"
LAB=$ROOT/test/lab/lab.sh
BENCH_TIME=${BENCH_TIME:-30}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_THREADS=${BENCH_THREADS:-"4 16"}
BENCH_SLOW_ROWS=${BENCH_SLOW_ROWS:-1000000}
BENCH_SLOW_RATE=${BENCH_SLOW_RATE:-20m}
BENCH_SLOW_RSS_MB=${BENCH_SLOW_RSS_MB:-5}
BENCH_KEEP_LAB=${BENCH_KEEP_LAB:-0}
FERRYD=${FERRYD:-$ROOT/build/server/ferryd}
PY=/usr/bin/python3

HOST=127.0.0.1
S1_PORT=$((3331 + ${LAB_PORT_OFFSET:-0}))
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
SB_COMMON=(--mysql-host="$HOST" --mysql-user=app --mysql-password=app_pw
    --mysql-db=sbtest --tables=4 --table-size=10000)

TMP=""
FERRY_PID=""
HAPROXY_PID=""
SLOW_PID=""
PREPARED=0
CREATED_DB=0
LAB_STARTED=()
FAILED=0

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n $SLOW_PID ]]; then
        kill -TERM -- "-$SLOW_PID" 2>/dev/null
        wait "$SLOW_PID" 2>/dev/null
    fi
    stop_pid "$HAPROXY_PID"
    stop_pid "$FERRY_PID"
    if (( PREPARED )); then
        sysbench oltp_point_select "${SB_COMMON[@]}" --mysql-port="$S1_PORT" cleanup >/dev/null 2>&1 ||
            log "sysbench cleanup failed"
    fi
    if (( CREATED_DB )); then
        admin_sql "DROP DATABASE IF EXISTS sbtest" || log "DROP DATABASE sbtest failed"
    fi
    if (( ${#LAB_STARTED[@]} )) && [[ $BENCH_KEEP_LAB != 1 ]]; then
        log "stopping the lab nodes this run started: ${LAB_STARTED[*]}"
        "$LAB" down "${LAB_STARTED[@]}" >/dev/null 2>&1 || log "lab.sh down ${LAB_STARTED[*]} failed"
    fi
    finish "$rc"
}
trap_cleanup

admin_sql() {
    mariadb --no-defaults -h"$HOST" -P"$S1_PORT" -uadmin -padmin_pw -N -B -e "$1"
}

# Two free TCP ports on 127.0.0.1.
free_ports() {
    "$PY" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# CPU ticks of this shell's waited-for children (sysbench runs as one).
child_ticks() {
    local stat rest f
    stat=$(<"/proc/$$/stat")
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    echo $((f[13] + f[14]))
}

# "busy total" ticks of all CPUs from /proc/stat.
sys_ticks() {
    awk '$1 == "cpu" { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6; exit }' /proc/stat
}

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }
load1() { awk '{ print $1 }' /proc/loadavg; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ferry_log_tail() {
    printf -- '--- ferryd log (%s), last %s lines ---\n' "$TMP/ferryd.log" "${1:-30}"
    tail -n "${1:-30}" "$TMP/ferryd.log"
    printf -- '---\n'
}

# Wait until "SELECT 1" works through HOST:PORT as app (max 30 s) while PID lives.
wait_sql() {
    local port=$1 pid=$2 name=$3 deadline=$((SECONDS + 30))
    while :; do
        alive "$pid" || return 1
        mariadb --no-defaults -h"$HOST" -P"$port" -uapp -papp_pw --connect-timeout=2 \
            -N -B -e "SELECT 1" >/dev/null 2>&1 && return 0
        (( SECONDS < deadline )) || { log "$name: no answer on port $port after 30 s"; return 1; }
        sleep 0.2
    done
}

# ---------------------------------------------------------------- setup

command -v sysbench >/dev/null || die "sysbench is not installed (apt-get install sysbench)"
command -v haproxy >/dev/null || die "haproxy is not installed (apt-get install haproxy)"
command -v mariadb >/dev/null || die "the mariadb client is not installed"
[[ -x $PY ]] || die "$PY is missing"

TMP=$(mktemp -d /tmp/ferry-bench.XXXXXX)

printf '== Ferry readconnroute benchmark: %s ==\n' "$(date '+%F %T')"
printf 'host: %s CPUs, %s; load average at start: %s\n' "$NCPU" "$(uname -r)" "$(loadavg)"

# The lab: s1 must run; remember the standalone nodes this run starts.
before=$("$LAB" status)
"$LAB" up standalone >"$TMP/lab-up.log" 2>&1 || { cat "$TMP/lab-up.log" >&2; die "lab.sh up standalone failed"; }
for n in r1 s1; do
    grep -q "^$n .* up" <<<"$before" || LAB_STARTED+=("$n")
done
eval "$("$LAB" env)"
S1_PID=$(cat "$LAB_DIR/s1/mariadbd.pid")
alive "$S1_PID" || die "s1's mariadbd (pid $S1_PID from $LAB_DIR/s1/mariadbd.pid) is not running"
printf 'lab: s1 on %s:%s (mariadbd pid %s, %s)%s\n' "$HOST" "$S1_PORT" "$S1_PID" \
    "$(admin_sql "SELECT VERSION()")" \
    "$( (( ${#LAB_STARTED[@]} )) && echo "; started by this run: ${LAB_STARTED[*]}" || echo "; already running")"

# ferryd: build if missing; run a private copy so that a rebuild elsewhere
# during the benchmark does not touch the binary under test.
if [[ ! -x $FERRYD ]]; then
    log "building ferryd (RelWithDebInfo) in $ROOT/build"
    (cd "$ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$TMP/build.log" 2>&1 &&
        cmake --build build -j2 >>"$TMP/build.log" 2>&1) || { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
fi
cp "$FERRYD" "$TMP/ferryd"
dirty=""
[[ -z $(git -C "$ROOT" status --porcelain -- server router protocol monitor 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the sources"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$(dirname "$FERRYD")")/CMakeCache.txt" 2>/dev/null || true)
printf 'ferryd: %s (%s, build type %s, binary of %s); commit %s%s\n' "$FERRYD" \
    "$("$TMP/ferryd" --version 2>&1 | head -n 1)" "${build_type:-unknown}" \
    "$(date -r "$FERRYD" '+%F %T')" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$dirty"
printf 'haproxy: %s\nsysbench: %s\n' "$(haproxy -v | head -n 1)" "$(sysbench --version)"

# sysbench tables, prepared directly on s1.
if [[ -z $(admin_sql "SHOW DATABASES LIKE 'sbtest'") ]]; then
    admin_sql "CREATE DATABASE sbtest"
    CREATED_DB=1
fi
sysbench oltp_point_select "${SB_COMMON[@]}" --mysql-port="$S1_PORT" cleanup >/dev/null 2>&1 || true
PREPARED=1
sysbench oltp_point_select "${SB_COMMON[@]}" --mysql-port="$S1_PORT" prepare >"$TMP/prepare.log" 2>&1 ||
    { cat "$TMP/prepare.log" >&2; die "sysbench prepare failed"; }

read -r FERRY_PORT HAPROXY_PORT <<<"$(free_ports)"

# ferryd with a generated configuration.
mkdir -p "$TMP/ferry-data"
cat >"$TMP/ferry.conf" <<EOF
# generated by test/bench/bench_readconnroute.sh
ferry = { threads = 2; log_level = "warning"; log_file = "-";
          datadir = "$TMP/ferry-data"; admin_socket = "$TMP/ferryd.sock"; };
servers = ( { name = "s1"; address = "$HOST"; port = $S1_PORT; } );
monitors = ( { name = "mon"; module = "mariadbmon"; servers = [ "s1" ];
               user = "maxmon"; password = "maxmon_pw"; } );
services = ( { name = "bench"; router = "readconnroute"; cluster = "mon";
               router_options = "master"; user = "maxscale"; password = "maxscale_pw"; } );
listeners = ( { name = "bench-listener"; service = "bench"; address = "$HOST"; port = $FERRY_PORT; } );
EOF
"$TMP/ferryd" --check -c "$TMP/ferry.conf" >"$TMP/ferry-check.log" 2>&1 ||
    { cat "$TMP/ferry-check.log" >&2; die "ferryd --check rejected the generated configuration"; }
"$TMP/ferryd" -c "$TMP/ferry.conf" </dev/null >"$TMP/ferryd.log" 2>&1 &
FERRY_PID=$!
if ! wait_sql "$FERRY_PORT" "$FERRY_PID" ferryd; then
    FAILED=1
    alive "$FERRY_PID" || { wait "$FERRY_PID" && rc=0 || rc=$?; log "ferryd exited with status $rc during startup"; }
    ferry_log_tail 40 >&2
    die "ferryd did not come up"
fi

# HAProxy in TCP mode, in the foreground (-db).
cat >"$TMP/haproxy.cfg" <<EOF
# generated by test/bench/bench_readconnroute.sh
global
    nbthread 2
    maxconn 8000
defaults
    mode tcp
    maxconn 8000
    timeout connect 10s
    timeout client 1h
    timeout server 1h
listen mariadb
    bind $HOST:$HAPROXY_PORT
    server s1 $HOST:$S1_PORT
EOF
haproxy -c -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy-check.log" 2>&1 ||
    { cat "$TMP/haproxy-check.log" >&2; die "haproxy -c rejected the generated configuration"; }
haproxy -f "$TMP/haproxy.cfg" -db </dev/null >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
wait_sql "$HAPROXY_PORT" "$HAPROXY_PID" haproxy || { cat "$TMP/haproxy.log" >&2; die "haproxy did not come up"; }

RSS_START=$(rss_kb "$FERRY_PID")
printf 'ferryd pid %s on port %s (threads = 2), haproxy pid %s on port %s (nbthread 2)\n' \
    "$FERRY_PID" "$FERRY_PORT" "$HAPROXY_PID" "$HAPROXY_PORT"
printf 'ferryd VmRSS after startup: %s MB\n' "$(mb "$RSS_START")"
printf 'each run: %s s; columns: the round; load1 = 1-min load average before the run; busy = all CPUs busy\n' "$BENCH_TIME"
printf '  during the run (%% of %s CPUs); other = busy CPU s not charged to sysbench, s1 mariadbd\n' "$NCPU"
printf '  or the proxy under test (other users of the machine, plus unattributed kernel time)\n'

# ---------------------------------------------------------------- sysbench runs

declare -A QPS QUERIES CPU_S LAT ERRS NOTE

# run_one TARGET THREADS ROUND: one sysbench run; fills QPS/QUERIES/CPU_S/...
# [TARGET,THREADS,ROUND] and the notes NOTE[TARGET,THREADS].
run_one() {
    local target=$1 threads=$2 round=$3 port pid="" out k=$1,$2,$3 rc=0
    case $target in
        direct) port=$S1_PORT ;;
        ferry) port=$FERRY_PORT; pid=$FERRY_PID ;;
        haproxy) port=$HAPROXY_PORT; pid=$HAPROXY_PID ;;
    esac
    out=$TMP/sysbench-$target-$threads-$round.log
    if [[ -n $pid ]] && ! alive "$pid"; then
        QPS[$k]=-; QUERIES[$k]=0; CPU_S[$k]=-; LAT[$k]=-; ERRS[$k]=-; NOTE[$1,$2]="not run: $target is not running"
        FAILED=1
        return 0
    fi
    local l1 p0=0 p1=0 c0 c1 m0 m1 s0 s1 t0 t1 w0 w1
    l1=$(load1)
    [[ -z $pid ]] || p0=$(cpu_ticks "$pid")
    c0=$(child_ticks); m0=$(cpu_ticks "$S1_PID"); read -r s0 t0 <<<"$(sys_ticks)"; w0=$EPOCHREALTIME
    sysbench oltp_point_select "${SB_COMMON[@]}" --mysql-port="$port" --threads="$threads" \
        --time="$BENCH_TIME" --report-interval=0 run >"$out" 2>&1 || rc=$?
    w1=$EPOCHREALTIME; read -r s1 t1 <<<"$(sys_ticks)"; m1=$(cpu_ticks "$S1_PID"); c1=$(child_ticks)
    if [[ -n $pid ]] && alive "$pid"; then p1=$(cpu_ticks "$pid"); fi
    QUERIES[$k]=$(awk '$1 == "queries:" { print $2; exit }' "$out")
    QPS[$k]=$(awk '$1 == "queries:" { gsub(/\(/, "", $3); print $3; exit }' "$out")
    LAT[$k]=$(awk '$1 == "avg:" { print $2; exit }' "$out")
    ERRS[$k]=$(awk '$1 == "ignored" && $2 == "errors:" { print $3; exit }' "$out")
    : "${QUERIES[$k]:=0}" "${QPS[$k]:=-}" "${LAT[$k]:=-}" "${ERRS[$k]:=-}"
    if [[ -n $pid ]]; then
        if (( p1 )); then
            CPU_S[$k]=$(calc "($p1 - $p0) / $CLK_TCK" %.2f)
        else
            CPU_S[$k]=-
        fi
    else
        CPU_S[$k]=-
    fi
    local busy other elapsed
    elapsed=$(calc "${w1/,/.} - ${w0/,/.}" %.1f)
    busy=$(calc "100 * ($s1 - $s0) / ($t1 - $t0)" %.0f)
    other=$(calc "(($s1 - $s0) - ($c1 - $c0) - ($m1 - $m0) - ($p1 - $p0)) / $CLK_TCK" %.1f)
    printf '  %s %-8s %2s thr  load1 %5s  busy %3s%%  other %5s s  %10s qps  %10s queries  lat %6s ms  proxy CPU %6s s  (%s s)\n' \
        "$round" "$target" "$threads" "$l1" "$busy" "$other" "${QPS[$k]}" "${QUERIES[$k]}" "${LAT[$k]}" "${CPU_S[$k]}" "$elapsed"
    if (( rc != 0 )) || grep -q FATAL "$out" || [[ ${ERRS[$k]} != 0 ]]; then
        FAILED=1
        NOTE[$1,$2]="sysbench exit $rc (round $round)"
        printf '  !! %s run with %s threads: sysbench exit status %s, ignored errors %s; its output:\n' \
            "$target" "$threads" "$rc" "${ERRS[$k]}"
        if grep -qE 'FATAL|ALERT|WARNING' "$out"; then
            grep -E 'FATAL|ALERT|WARNING' "$out" | head -n 20 | sed 's/^/     /'
        else
            tail -n 20 "$out" | sed 's/^/     /'
        fi
        if [[ $target == ferry ]]; then
            if ! alive "$FERRY_PID"; then
                local frc=0
                wait "$FERRY_PID" || frc=$?
                printf '  !! ferryd (pid %s) exited with status %s\n' "$FERRY_PID" "$frc"
            fi
            ferry_log_tail 30 | sed 's/^/     /'
        fi
    fi
    if [[ $target != direct ]] && ! alive "$pid"; then
        FAILED=1
        NOTE[$1,$2]="$target died (round $round)"
        printf '  !! %s (pid %s) is no longer running after this run\n' "$target" "$pid"
    fi
}

# CPU microseconds per query from CPU seconds and query count.
us_per_q() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9]+$ && $2 != 0 ]] && calc "1e6 * $1 / $2" %.1f || echo -; }

# median VALUE...: the median of the numbers among the values ("-" if none).
median() {
    local v=() x
    for x in "$@"; do num "$x" && v+=("$x"); done
    ((${#v[@]})) || { echo -; return; }
    printf '%s\n' "${v[@]}" | sort -g | awk '{ a[NR] = $1 } END {
        print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# med ARRAY TARGET THREADS: median over the rounds of ARRAY[TARGET,THREADS,*].
med() {
    local -n arr=$1
    local r v=()
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do v+=("${arr[$2,$3,$r]:-}"); done
    median "${v[@]}"
}

# CPU per query of each round of TARGET with THREADS, into USQ[TARGET,THREADS,ROUND].
declare -A USQ
per_query_cpu() {
    local r
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        USQ[$1,$2,$r]=$(us_per_q "${CPU_S[$1,$2,$r]}" "${QUERIES[$1,$2,$r]}")
    done
}

# The three targets take turns, so a slow phase of the machine hits all of them.
for t in $BENCH_THREADS; do
    printf '\n-- %s threads: %s rounds of direct, ferry, haproxy --\n' "$t" "$BENCH_ROUNDS"
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
        for target in direct ferry haproxy; do run_one "$target" "$t" "$round"; done
    done
done
RSS_AFTER_SB=$(rss_kb "$FERRY_PID" 2>/dev/null || echo 0)

# ---------------------------------------------------------------- slow client

# A client reading a ~1 GB result through ferryd slowly (5 s pause, then at
# BENCH_SLOW_RATE); ferryd's VmRSS is sampled every 0.2 s.
SLOW_MB=$(( BENCH_SLOW_ROWS * 1001 / 1048576 ))
printf '\n-- slow client: %s rows x 1000 bytes (~%s MB) through ferryd, reader sleeps 5 s then reads at %s/s --\n' \
    "$BENCH_SLOW_ROWS" "$SLOW_MB" "$BENCH_SLOW_RATE"
if command -v pv >/dev/null; then
    READER="pv -q -L $BENCH_SLOW_RATE"
else
    # Python stand-in for pv -L: reads 64 KiB chunks, sleeping to hold the rate.
    READER="$PY -c 'import sys, time
r = \"$BENCH_SLOW_RATE\".lower(); m = {\"k\": 1 << 10, \"m\": 1 << 20, \"g\": 1 << 30}
rate = float(r[:-1]) * m[r[-1]] if r[-1] in m else float(r)
t0 = time.monotonic(); n = 0
while True:
    b = sys.stdin.buffer.read1(65536)
    if not b: break
    n += len(b); sys.stdout.buffer.write(b)
    d = t0 + n / rate - time.monotonic()
    if d > 0: time.sleep(d)'"
fi
RSS_SLOW0=0; RSS_PEAK=0; SLOW_RC=-
if alive "$FERRY_PID"; then
    RSS_SLOW0=$(rss_kb "$FERRY_PID"); RSS_PEAK=$RSS_SLOW0
    slow_t0=$SECONDS
    # setsid: the pipeline gets its own process group, so cleanup can end all of it.
    setsid bash -c "set -o pipefail
        mariadb --no-defaults -h$HOST -P$FERRY_PORT -uapp -papp_pw -D sbtest --quick -N -B \
            -e \"SELECT REPEAT('x',1000) FROM seq_1_to_$BENCH_SLOW_ROWS\" 2>'$TMP/slow-client.err' |
            { sleep 5; $READER; } | wc -c >'$TMP/slow-client.bytes'" </dev/null &
    SLOW_PID=$!
    while alive "$SLOW_PID"; do
        r=$(rss_kb "$FERRY_PID" 2>/dev/null || echo 0)
        (( r > RSS_PEAK )) && RSS_PEAK=$r
        alive "$FERRY_PID" || break
        sleep 0.2
    done
    wait "$SLOW_PID" && SLOW_RC=0 || SLOW_RC=$?
    SLOW_PID=""
    slow_s=$((SECONDS - slow_t0))
    bytes=$(cat "$TMP/slow-client.bytes" 2>/dev/null || echo 0)
    printf '  client exit status %s, %s MB received in %s s\n' "$SLOW_RC" "$(calc "$bytes / 1048576" %.0f)" "$slow_s"
    if [[ $SLOW_RC != 0 ]] || [[ -s $TMP/slow-client.err ]]; then
        FAILED=1
        printf '  !! the slow client failed; its stderr:\n'
        sed 's/^/     /' "$TMP/slow-client.err"
        ferry_log_tail 30 | sed 's/^/     /'
    fi
    if ! alive "$FERRY_PID"; then
        FAILED=1
        printf '  !! ferryd is no longer running\n'
        ferry_log_tail 30 | sed 's/^/     /'
    fi
else
    printf '  skipped: ferryd is not running\n'
fi
RSS_END=$(rss_kb "$FERRY_PID" 2>/dev/null || echo 0)
HWM_END=$(hwm_kb "$FERRY_PID" 2>/dev/null || echo 0)

# ---------------------------------------------------------------- summary

printf '\n== Results: medians of %s rounds of %s s (CPU = utime+stime of all threads / CLK_TCK from /proc/PID/stat) ==\n' \
    "$BENCH_ROUNDS" "$BENCH_TIME"
for t in $BENCH_THREADS; do
    per_query_cpu ferry "$t"; per_query_cpu haproxy "$t"
    qd=$(med QPS direct "$t") qf=$(med QPS ferry "$t") qh=$(med QPS haproxy "$t")
    uf=$(med USQ ferry "$t") uh=$(med USQ haproxy "$t")
    r_fd=$(ratio "$qf" "$qd"); r_hd=$(ratio "$qh" "$qd"); r_fh=$(ratio "$qf" "$qh"); r_cpu=$(ratio "$uf" "$uh")
    printf '\n%s threads\n' "$t"
    printf '  %-24s %10s %10s %10s\n' "" direct ferry haproxy
    printf '  %-24s %10s %10s %10s\n' "QPS" "$qd" "$qf" "$qh"
    printf '  %-24s %10s %10s %10s\n' "QPS / direct" 1.00 "$r_fd" "$r_hd"
    printf '  %-24s %10s %10s %10s\n' "CPU us/query (ms/1000q)" - "$uf" "$uh"
    printf '  %-24s %10s   target >= 1.00: %s\n' "ferry/haproxy QPS" "$r_fh" "$(verdict "$r_fh" '>=' 1.0)"
    printf '  %-24s %10s   target <= 1.00: %s\n' "ferry/haproxy CPU/query" "$r_cpu" "$(verdict "$r_cpu" '<=' 1.0)"
    for target in direct ferry haproxy; do
        [[ -z ${NOTE[$target,$t]:-} ]] || printf '  note: %s: %s\n' "$target" "${NOTE[$target,$t]}"
    done
done

growth=$((RSS_PEAK - RSS_SLOW0))
printf '\nferryd memory (VmRSS): %s MB after startup, %s MB after the sysbench runs, %s MB at the end (VmHWM %s MB)\n' \
    "$(mb "$RSS_START")" "$(mb "$RSS_AFTER_SB")" "$(mb "$RSS_END")" "$(mb "$HWM_END")"
printf 'slow client: VmRSS %s MB before, peak %s MB, growth %s MB   target <= %s MB: %s\n' \
    "$(mb "$RSS_SLOW0")" "$(mb "$RSS_PEAK")" "$(mb "$growth")" "$BENCH_SLOW_RSS_MB" \
    "$([[ $SLOW_RC == 0 ]] && verdict "$(mb "$growth")" '<=' "$BENCH_SLOW_RSS_MB" || echo 'n/a (client failed)')"
printf 'load average at the end: %s\n' "$(loadavg)"

nlog=$(wc -l <"$TMP/ferryd.log")
if (( nlog > 0 )); then
    printf '\nferryd logged %s line(s) at log_level "warning" (last 20):\n' "$nlog"
    tail -n 20 "$TMP/ferryd.log" | sed 's/^/  /'
else
    printf '\nferryd logged nothing at log_level "warning"\n'
fi

if (( FAILED )); then
    printf '\nbench: some runs failed (see the !! lines above)\n'
    exit 1
fi
