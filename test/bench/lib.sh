# test/bench/lib.sh: shell helpers shared by the benchmarks (sourced, not
# run): logging, arithmetic, PASS/MISS verdicts, and looking at and
# stopping the processes a benchmark started.

log() { printf 'bench: %s\n' "$*" >&2; }
# calc EXPR [printf format]: floating point arithmetic; "-" when it fails.
calc() { awk "BEGIN { x = ($1); printf \"${2:-%.2f}\", x }" 2>/dev/null || echo -; }
num() { [[ $1 =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }
ratio() { num "$1" && num "$2" && [[ $2 != 0 && $2 != 0.0 ]] && calc "$1 / $2" %.2f || echo -; }
loadavg() { awk '{ print $1, $2, $3 }' /proc/loadavg; }

verdict() { # verdict VALUE OP LIMIT: PASS or MISS (n/a when VALUE is not a number)
    num "$1" || { echo "n/a"; return; }
    if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !((op == ">=") ? v >= l : v <= l) }'; then
        echo PASS
    else
        echo MISS
    fi
}

# True while the process exists and is not a zombie.
alive() {
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z ]]
}

# Stop one process we started: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
        log "pid $pid still running after 10 s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# utime+stime of all threads of PID, in clock ticks (0 when it is gone).
cpu_ticks() {
    local stat rest f
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    echo $((f[11] + f[12]))
}

# The end of a benchmark's cleanup(): keeps $TMP (logs, configs) after a
# failure or when KEEP is 1, else removes it; then exits with RC.
finish() { # finish RC [KEEP]
    local rc=$1
    if [[ -n $TMP ]]; then
        if ((rc == 0 && FAILED == 0)) && [[ ${2:-0} != 1 ]]; then
            rm -rf "$TMP"
        else
            log "logs and configs kept in $TMP"
        fi
    fi
    exit "$rc"
}

# Runs the benchmark's cleanup() on exit and on SIGINT/SIGTERM.
trap_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
