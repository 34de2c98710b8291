#!/usr/bin/env bash
# Ferry test lab: starts real MariaDB servers on 127.0.0.1 for the integration
# tests and for manual work. A 3-node Galera cluster (g1 g2 g3), the DR replica
# r1 and a plain standalone master s1, each with its own datadir, socket, pid
# file and error log under $LAB_DIR (default /tmp/ferry-lab). The servers run as
# the `mysql` user when this script runs as root. `lab.sh help` lists the
# subcommands; test/lab/README.md describes the topology and the accounts.
set -euo pipefail

LAB_DIR=${LAB_DIR:-/tmp/ferry-lab}
LAB_TIMEOUT=${LAB_TIMEOUT:-60}       # seconds for any single start/sync wait
LAB_STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-60}
LAB_SST=${LAB_SST:-rsync}            # rsync | mariabackup
LAB_PORT_OFFSET=${LAB_PORT_OFFSET:-0} # added to every port (SQL, gcomm, IST, SST)
LAB_LOCK_TIMEOUT=${LAB_LOCK_TIMEOUT:-600}
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
GALERA_PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}

ALL_NODES=(g1 g2 g3 r1 s1)
GALERA_NODES=(g1 g2 g3)
STANDALONE_NODES=(r1 s1)
HOST=127.0.0.1
JOIN_FAILURE=""
# Accounts every server gets (user@host); the count is used to check them.
LAB_ACCOUNTS="('admin','%'),('maxmon','%'),('repl','%'),('maxscale','%'),('app','%'),('app2','%'),('nopass','%'),('hostonly','10.9.9.9'),('sst','localhost')"
LAB_ACCOUNT_COUNT=9

case $LAB_DIR in
    /*) ;;
    *) LAB_DIR=$PWD/$LAB_DIR ;;
esac
LAB_DIR=${LAB_DIR%/}

if [[ $EUID -eq 0 ]]; then RUN_USER=mysql; else RUN_USER=; fi
[[ $LAB_PORT_OFFSET =~ ^[0-9]+$ ]] || { echo "lab: error: LAB_PORT_OFFSET must be a number" >&2; exit 2; }

# ---------------------------------------------------------------- helpers

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
LAB_T0=$(now)
log() { printf 'lab [%5ss]: %s\n' "$(since "$LAB_T0")" "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

is_node() { case $1 in g1|g2|g3|r1|s1) return 0 ;; *) return 1 ;; esac; }
is_galera() { case $1 in g1|g2|g3) return 0 ;; *) return 1 ;; esac; }
check_node() { is_node "$1" || die "unknown node '$1' (nodes: ${ALL_NODES[*]})"; }

node_port() {
    local p
    case $1 in
        g1) p=3311 ;; g2) p=3312 ;; g3) p=3313 ;;
        r1) p=3321 ;; s1) p=3331 ;;
        *) die "unknown node '$1'" ;;
    esac
    echo $((p + LAB_PORT_OFFSET))
}
galera_idx() { echo "${1#g}"; }
# Galera ports of node gN: gcomm 451N, IST 452N, SST 453N (plus the offset).
gcomm_port() { echo $((4510 + $(galera_idx "$1") + LAB_PORT_OFFSET)); }
ist_port() { echo $((4520 + $(galera_idx "$1") + LAB_PORT_OFFSET)); }
sst_port() { echo $((4530 + $(galera_idx "$1") + LAB_PORT_OFFSET)); }
node_dir() { echo "$LAB_DIR/$1"; }
node_data() { echo "$LAB_DIR/$1/data"; }
node_cnf() { echo "$LAB_DIR/$1/my.cnf"; }
node_sock() { echo "$LAB_DIR/$1/mariadbd.sock"; }
node_pidfile() { echo "$LAB_DIR/$1/mariadbd.pid"; }
node_log() { echo "$LAB_DIR/$1/error.log"; }

log_tail() {
    local f
    f=$(node_log "$1")
    if [[ -f $f ]]; then
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n "${2:-25}" "$f" >&2
        printf -- '---\n' >&2
    fi
}
fail_node() { local n=$1; shift; log "error: $n: $*"; log_tail "$n"; exit 1; }

own() { [[ -z $RUN_USER ]] || chown "$RUN_USER:$RUN_USER" "$@"; }

# pid of the node's running mariadbd (not a --wsrep-recover run), or nothing.
node_pid() {
    local n=$1 f pid cnf
    cnf=$(node_cnf "$n")
    for f in "$(node_pidfile "$n")" "$(node_dir "$n")/launch.pid"; do
        [[ -r $f ]] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        [[ $pid =~ ^[0-9]+$ ]] || continue
        [[ -r /proc/$pid/cmdline ]] || continue
        local cmd
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
        if [[ $cmd == *"--defaults-file=$cnf "* && $cmd != *--wsrep-recover* ]]; then
            echo "$pid"
            return 0
        fi
    done
    return 0
}
is_running() { [[ -n $(node_pid "$1") ]]; }

# True while the process exists and is not a zombie.
pid_alive() {
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z ]]
}

# Run SQL as root over the node's socket: q NODE "SQL" (tab-separated, no headers).
q() {
    local n=$1; shift
    mariadb --no-defaults --socket="$(node_sock "$n")" -uroot --connect-timeout=2 \
        -N -B -e "$*" 2>/dev/null
}

# "state size status" of a galera node, e.g. "Synced 3 Primary"; empty if no answer.
galera_state() {
    q "$1" "SHOW GLOBAL STATUS WHERE Variable_name IN
            ('wsrep_local_state_comment','wsrep_cluster_size','wsrep_cluster_status')" |
        awk -F'\t' '{ v[$1] = $2 } END {
            if (NR) printf "%s %s %s\n", v["wsrep_local_state_comment"],
                                         v["wsrep_cluster_size"], v["wsrep_cluster_status"] }' || true
}

port_in_use() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }

# ---------------------------------------------------------------- setup

prepare_lab_dir() {
    mkdir -p "$LAB_DIR"
    touch "$LAB_DIR/.ferry-lab"
    chmod 755 "$LAB_DIR"
    if [[ -n $RUN_USER ]] && ! runuser -u "$RUN_USER" -- test -x "$LAB_DIR"; then
        die "user $RUN_USER cannot reach $LAB_DIR (a parent directory is not searchable); choose another LAB_DIR"
    fi
    local sock
    sock=$(node_sock g1)
    (( ${#sock} < 100 )) || die "LAB_DIR is too long: socket path $sock exceeds the unix socket limit"
}

write_cnf() {
    local n=$1 dir port
    dir=$(node_dir "$n")
    port=$(node_port "$n")
    mkdir -p "$dir" "$dir/tmp"
    own "$dir" "$dir/tmp"
    {
        echo "# generated by test/lab/lab.sh for node $n; rewritten on every start"
        echo "[mariadbd]"
        [[ -z $RUN_USER ]] || echo "user=$RUN_USER"
        cat <<EOF
datadir=$dir/data
socket=$dir/mariadbd.sock
pid_file=$dir/mariadbd.pid
log_error=$dir/error.log
tmpdir=$dir/tmp
port=$port
bind_address=$HOST
skip_name_resolve=ON
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_flush_log_at_trx_commit=2
max_allowed_packet=1G
max_connections=2000
binlog_format=ROW
binlog_checksum=CRC32
relay_log=$n-relay-bin
EOF
        case $n in
            g1|g2|g3)
                local i gp ip sp
                i=$(galera_idx "$n")
                gp=$(gcomm_port "$n")
                ip=$(ist_port "$n")
                sp=$(sst_port "$n")
                cat <<EOF
server_id=7000
gtid_domain_id=7$i
log_bin=galera-bin
log_slave_updates=ON
gtid_ignore_duplicates=ON
gtid_strict_mode=OFF
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$GALERA_PROVIDER
wsrep_cluster_name=ferry-lab
wsrep_cluster_address=gcomm://$HOST:$(gcomm_port g1),$HOST:$(gcomm_port g2),$HOST:$(gcomm_port g3)
wsrep_node_name=$n
wsrep_node_address=$HOST
wsrep_node_incoming_address=$HOST:$port
wsrep_sst_receive_address=$HOST:$sp
wsrep_sst_method=$LAB_SST
wsrep_sst_auth=sst:sst_pw
wsrep_gtid_mode=ON
wsrep_gtid_domain_id=70
wsrep_provider_options="base_port=$gp;gmcast.listen_addr=tcp://$HOST:$gp;ist.recv_addr=$HOST:$ip;gcache.size=32M;evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;evs.install_timeout=PT7S;evs.keepalive_period=PT1S;evs.inactive_check_period=PT1S;evs.join_retrans_period=PT1S"
EOF
                ;;
            r1)
                cat <<EOF
server_id=8000
gtid_domain_id=80
log_bin=r1-bin
EOF
                ;;
            s1)
                cat <<EOF
server_id=9000
gtid_domain_id=90
log_bin=s1-bin
EOF
                ;;
        esac
    } >"$dir/my.cnf.tmp"
    mv -f "$dir/my.cnf.tmp" "$dir/my.cnf"
    chmod 644 "$dir/my.cnf"
}

has_system_tables() { [[ -d $(node_data "$1")/mysql ]]; }

# mariadb-install-db into an empty datadir (fast: under a second).
# Installs into data.new and renames it, so a failed run leaves no datadir
# that looks initialised. A private tmpdir: parallel installs sharing /tmp
# failed now and then ("Unknown table 'mysql.tmp_user_sys'", "File
# ./ibdata1 was not found").
install_db() {
    local n=$1 data out
    data=$(node_data "$n")
    out=$(node_dir "$n")/install-db.log
    rm -rf "$data" "$data.new"
    mkdir -p "$data.new"
    own "$data.new"
    if ! (cd "$(node_dir "$n")" && mariadb-install-db --no-defaults ${RUN_USER:+--user=$RUN_USER} \
            --datadir="$data.new" --tmpdir="$(node_dir "$n")/tmp" --skip-test-db --auth-root-authentication-method=socket \
            --skip-name-resolve) >"$out" 2>&1 9>&-; then
        tail -n 20 "$out" >&2
        die "$n: mariadb-install-db failed (see $out)"
    fi
    mv "$data.new" "$data"
}

install_dbs() {
    local n pids=() rc=0
    for n in "$@"; do install_db "$n" & pids+=($!); done
    for n in "${pids[@]}"; do wait "$n" || rc=1; done
    (( rc == 0 )) || die "mariadb-install-db failed"
}

# Start mariadbd in the background, detached from the caller's stdio.
launch() {
    local n=$1; shift
    local dir port logf
    dir=$(node_dir "$n")
    port=$(node_port "$n")
    logf=$(node_log "$n")
    if port_in_use "$port"; then
        die "$n: port $port is already in use by another process: $(ss -Hltnp "sport = :$port" | head -1)"
    fi
    if is_galera "$n" && port_in_use "$(gcomm_port "$n")"; then
        die "$n: gcomm port $(gcomm_port "$n") is already in use: $(ss -Hltnp "sport = :$(gcomm_port "$n")" | head -1)"
    fi
    mkdir -p "$(node_data "$n")"
    own "$(node_data "$n")"
    touch "$logf"
    own "$logf"
    rm -f "$(node_pidfile "$n")"
    printf '\n==== lab.sh: starting %s %s at %s\n' "$n" "$*" "$(date '+%F %T')" >>"$logf"
    # fd 9 is the lab lock: the server must not inherit it.
    ( cd "$dir" && exec setsid "$MARIADBD" --defaults-file="$dir/my.cnf" "$@" ) \
        >>"$logf" 2>&1 </dev/null 9>&- &
    local lp=$!
    disown "$lp" 2>/dev/null || true
    echo "$lp" >"$dir/launch.pid"
    # The subshell execs setsid, which execs mariadbd (same pid): wait for that
    # exec so that is_running is reliable from here on.
    while pid_alive "$lp" && ! is_running "$n"; do sleep 0.01; done
}

# Wait until a standalone server answers on its socket.
wait_ready() {
    local n=$1 deadline=$((SECONDS + LAB_TIMEOUT))
    while :; do
        is_running "$n" || fail_node "$n" "mariadbd exited during startup"
        [[ $(q "$n" "SELECT 1" || true) == 1 ]] && return 0
        (( SECONDS < deadline )) || fail_node "$n" "not ready after ${LAB_TIMEOUT}s"
        sleep 0.1
    done
}

# Wait until a galera node is Synced in a Primary component of at least $2 nodes.
# With $3 = retry, a failed join (the server exited, or it gave up and sits
# Disconnected, e.g. "Receiving IST failed, node restart required" after a
# load spike) returns 3 instead of failing, so the caller can restart it.
wait_synced() {
    local n=$1 want=${2:-1} retry=${3:-} deadline=$((SECONDS + LAB_TIMEOUT)) st state size status
    while :; do
        if ! is_running "$n"; then
            [[ -z $retry ]] || { JOIN_FAILURE="mariadbd exited"; return 3; }
            fail_node "$n" "mariadbd exited before reaching Synced"
        fi
        st=$(galera_state "$n")
        if [[ -n $st ]]; then
            read -r state size status <<<"$st"
            if [[ $state == Synced && $status == Primary && $size -ge $want ]]; then
                return 0
            fi
            if [[ -n $retry && $status == Disconnected ]] &&
                grep -qE 'restart required|Failed to JOIN|failed to reach primary view' \
                    <<<"$(last_start_log "$n")"; then
                JOIN_FAILURE=$(last_start_log "$n" | grep -E 'ERROR|Failed to JOIN' | tail -1 | cut -c1-200)
                return 3
            fi
        fi
        (( SECONDS < deadline )) ||
            fail_node "$n" "not Synced with cluster size >= $want after ${LAB_TIMEOUT}s (state: ${st:-no answer})"
        sleep 0.2
    done
}

# Pacing for joiners: wait until galera node $1 sees a Primary component of at
# least $2 members, or joiner $3 has exited (wait_joiner deals with that).
wait_member() {
    local ref=$1 want=$2 joiner=$3 deadline=$((SECONDS + LAB_TIMEOUT)) st state size status
    while is_running "$joiner" && (( SECONDS < deadline )); do
        st=$(galera_state "$ref")
        if [[ -n $st ]]; then
            read -r state size status <<<"$st"
            [[ $status == Primary && $size -ge $want ]] && return 0
        fi
        sleep 0.1
    done
    return 0
}

# Wait for a joiner to be Synced; restart it (at most twice) if its join fails.
wait_joiner() {
    local n=$1 want=$2 try rc
    for try in 1 2 3; do
        rc=0
        wait_synced "$n" "$want" retry || rc=$?
        (( rc == 0 )) && return 0
        (( try < 3 )) || break
        log "warning: $n: join failed ($JOIN_FAILURE); restarting it"
        stop_node "$n"
        recover_node "$n"
        launch_joiner "$n"
    done
    fail_node "$n" "join failed three times (last: $JOIN_FAILURE)"
}

# The node's log since lab.sh last started it.
last_start_log() {
    awk '/^==== lab.sh: starting/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' \
        "$(node_log "$1")"
}

# Create the lab accounts and the `test` database unless they are all there.
# Galera: run on one node with binlogging on (replicates by TOI). Standalone:
# sql_log_bin=0, so r1 can later replay g1's binlog from the start without
# conflicts (every statement is IF NOT EXISTS or an idempotent GRANT).
ensure_accounts() {
    local n=$1 have prefix=""
    have=$(q "$n" "SELECT COUNT(*) FROM mysql.user WHERE (user,host) IN ($LAB_ACCOUNTS)") ||
        fail_node "$n" "cannot query mysql.user"
    [[ $have == "$LAB_ACCOUNT_COUNT" ]] && q "$n" "SHOW DATABASES LIKE 'test'" | grep -qx test && return 0
    is_galera "$n" || prefix="SET SESSION sql_log_bin=0;"
    if ! mariadb --no-defaults --socket="$(node_sock "$n")" -uroot <<EOF
$prefix
CREATE DATABASE IF NOT EXISTS test;
CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY 'admin_pw';
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'maxmon'@'%' IDENTIFIED BY 'maxmon_pw';
GRANT SELECT ON mysql.* TO 'maxmon'@'%';
GRANT SHOW DATABASES, PROCESS, BINLOG MONITOR, SLAVE MONITOR, REPLICATION MASTER ADMIN,
      REPLICATION SLAVE ADMIN, READ_ONLY ADMIN, CONNECTION ADMIN, RELOAD ON *.* TO 'maxmon'@'%';
CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl_pw';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'repl'@'%';
-- Ferry's binlog relay logs replicas in with the backend's accounts, loaded by repl.
GRANT SELECT ON mysql.* TO 'repl'@'%';
CREATE USER IF NOT EXISTS 'maxscale'@'%' IDENTIFIED BY 'maxscale_pw';
GRANT SELECT ON mysql.* TO 'maxscale'@'%';
GRANT SHOW DATABASES ON *.* TO 'maxscale'@'%';
CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app_pw';
GRANT SELECT ON *.* TO 'app'@'%';
GRANT ALL PRIVILEGES ON \`test\`.* TO 'app'@'%';
GRANT ALL PRIVILEGES ON \`sbtest\`.* TO 'app'@'%';
CREATE USER IF NOT EXISTS 'app2'@'%' IDENTIFIED BY 'app2_pw';
GRANT SELECT ON *.* TO 'app2'@'%';
GRANT ALL PRIVILEGES ON \`test\`.* TO 'app2'@'%';
GRANT ALL PRIVILEGES ON \`sbtest\`.* TO 'app2'@'%';
CREATE USER IF NOT EXISTS 'nopass'@'%';
GRANT SELECT ON \`test\`.* TO 'nopass'@'%';
CREATE USER IF NOT EXISTS 'hostonly'@'10.9.9.9' IDENTIFIED BY 'hostonly_pw';
GRANT SELECT ON \`test\`.* TO 'hostonly'@'10.9.9.9';
CREATE USER IF NOT EXISTS 'sst'@'localhost' IDENTIFIED BY 'sst_pw';
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'sst'@'localhost';
EOF
    then
        fail_node "$n" "creating the lab accounts failed"
    fi
}

# ---------------------------------------------------------------- galera state

# Prints "uuid seqno safe_to_bootstrap" from grastate.dat ("- -1 0" if absent).
grastate() {
    local f
    f=$(node_data "$1")/grastate.dat
    if [[ -r $f ]]; then
        awk '$1 == "uuid:" { u = $2 } $1 == "seqno:" { s = $2 } $1 == "safe_to_bootstrap:" { b = $2 }
             END { printf "%s %s %s\n", (u == "" ? "-" : u), (s == "" ? -1 : s), (b == "" ? 0 : b) }' "$f"
    else
        echo "- -1 0"
    fi
}

# True if the node's datadir holds a galera state worth recovering.
has_galera_state() {
    local u s b
    read -r u s b <<<"$(grastate "$1")"
    [[ $u != - && $u != 00000000-0000-0000-0000-000000000000 && -f $(node_data "$1")/ibdata1 ]]
}

# After a crash grastate.dat says seqno -1: run mariadbd --wsrep-recover and keep
# the recovered "uuid:seqno,gtid" in recovered.pos (empty when not needed).
recover_node() {
    local n=$1 dir rlog pos u s b
    dir=$(node_dir "$n")
    rlog=$dir/recover.log
    : >"$dir/recovered.pos"
    has_galera_state "$n" || return 0
    read -r u s b <<<"$(grastate "$n")"
    [[ $s == -1 ]] || return 0
    : >"$rlog"
    own "$rlog"
    if ! (cd "$dir" && "$MARIADBD" --defaults-file="$dir/my.cnf" --wsrep-recover \
            --log-error="$rlog") >>"$rlog" 2>&1 </dev/null 9>&-; then
        tail -n 20 "$rlog" >&2
        die "$n: mariadbd --wsrep-recover failed (see $rlog)"
    fi
    pos=$(grep -a 'WSREP: Recovered position:' "$rlog" | tail -1 | sed 's/.*Recovered position:[[:space:]]*//') || true
    [[ -n $pos ]] || { tail -n 20 "$rlog" >&2; die "$n: no 'Recovered position' in $rlog"; }
    echo "$pos" >"$dir/recovered.pos"
    log "$n: recovered position $pos"
}

recover_nodes() {
    local n pids=() rc=0
    for n in "$@"; do recover_node "$n" & pids+=($!); done
    for n in "${pids[@]}"; do wait "$n" || rc=1; done
    (( rc == 0 )) || die "wsrep recovery failed"
}

# Effective seqno: from recovered.pos if recovery ran, else grastate.dat.
galera_seqno() {
    local n=$1 pos u s b
    pos=$(cat "$(node_dir "$n")/recovered.pos" 2>/dev/null || true)
    if [[ -n $pos ]]; then
        s=${pos#*:}; s=${s%%,*}
        echo "$s"
    else
        read -r u s b <<<"$(grastate "$n")"
        echo "$s"
    fi
}

start_pos_args() {
    local pos
    pos=$(cat "$(node_dir "$1")/recovered.pos" 2>/dev/null || true)
    [[ -z $pos ]] || echo "--wsrep-start-position=$pos"
}

set_safe_to_bootstrap() {
    local f
    f=$(node_data "$1")/grastate.dat
    [[ -f $f ]] || return 0
    sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$f"
    own "$f"
}

running_galera() { local n; for n in "${GALERA_NODES[@]}"; do is_running "$n" && echo "$n"; done; return 0; }

# A running galera node in a Primary component (to join), or nothing.
primary_galera() {
    local n st
    for n in $(running_galera); do
        st=$(galera_state "$n")
        [[ $st == *" Primary" ]] && { echo "$n"; return 0; }
    done
    return 0
}

# After a kill -9 the survivors keep the dead nodes in their view until
# evs.suspect_timeout (5 s). If the survivors are no majority of that view, a
# join before they notice would leave everyone non-Primary, so then wait
# (bounded) until their view holds only running nodes. One dead node of three
# needs no wait: the join simply evicts it.
settle_view() {
    local running n st size deadline=$((SECONDS + 20)) waited=0
    running=$(running_galera | wc -l)
    while :; do
        local ok=1
        for n in $(running_galera); do
            st=$(galera_state "$n")
            size=$(awk '{ print $2 }' <<<"$st")
            size=${size:-0}
            (( size <= running || 2 * running > size )) || ok=0
        done
        (( ok )) && break
        (( SECONDS < deadline )) || { log "warning: galera views did not settle within 20s"; break; }
        (( waited )) || log "waiting for the running galera nodes to drop dead members from their view"
        waited=1
        sleep 0.2
    done
}

# No running node is in a Primary component (e.g. two of three were killed):
# re-bootstrap the most advanced running node with pc.bootstrap=YES.
rebootstrap_primary() {
    local n best="" best_c=-1 c
    for n in $(running_galera); do
        c=$(q "$n" "SHOW GLOBAL STATUS LIKE 'wsrep_last_committed'" | awk '{ print $2 }')
        if (( ${c:--1} > best_c )); then best=$n; best_c=${c:--1}; fi
    done
    [[ -n $best ]] || die "no running galera node answers; try 'lab.sh down' then 'lab.sh up'"
    log "$best: no Primary component; re-bootstrapping it with pc.bootstrap=YES (last committed $best_c)"
    q "$best" "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'" || fail_node "$best" "pc.bootstrap=YES failed"
    wait_synced "$best" 1
    echo "$best"
}

launch_joiner() {
    local n=$1 args
    args=$(start_pos_args "$n")
    # After a crash gvwstate.dat still holds the dead incarnation's gcomm UUID
    # (pc.recovery). Reusing it while the others still list that UUID in their
    # view stalls the join for ~25 s; a fresh UUID joins at once.
    rm -f "$(node_data "$n")/gvwstate.dat"
    # shellcheck disable=SC2086 # args is empty or one word
    launch "$n" $args
    rm -f "$(node_dir "$n")/recovered.pos"
}

launch_bootstrap() {
    local n=$1 args
    args=$(start_pos_args "$n")
    set_safe_to_bootstrap "$n"
    # shellcheck disable=SC2086 # args is empty or one word
    launch "$n" --wsrep-new-cluster $args
    rm -f "$(node_dir "$n")/recovered.pos"
}

# Choose the node to bootstrap among those with state: highest seqno, then
# safe_to_bootstrap=1, then lowest name. Prints nothing if none has state.
pick_bootstrap() {
    local n best="" best_s=-2 best_b=0 s b
    for n in "$@"; do
        has_galera_state "$n" || continue
        s=$(galera_seqno "$n")
        read -r _ _ b <<<"$(grastate "$n")"
        if (( s > best_s )) || (( s == best_s && b == 1 && best_b == 0 )); then
            best=$n; best_s=$s; best_b=$b
        fi
    done
    echo "$best"
}

# Bring the named galera nodes up (all three for `up`). Bootstraps when no
# galera node is running; otherwise joins them to the running Primary.
galera_start() {
    local nodes=("$@") n boot="" prim="" joiners=() t0
    local cluster_nodes
    for n in "${nodes[@]}"; do write_cnf "$n"; done
    cluster_nodes=$(running_galera)
    if [[ -z $cluster_nodes ]]; then
        # Whole cluster down: recover crashed nodes, bootstrap the most advanced.
        local stateful=() fresh=()
        for n in "${nodes[@]}"; do
            if has_galera_state "$n"; then stateful+=("$n"); else fresh+=("$n"); fi
        done
        if (( ${#stateful[@]} )); then
            recover_nodes "${stateful[@]}"
            boot=$(pick_bootstrap "${stateful[@]}")
        else
            boot=${nodes[0]}
            has_system_tables "$boot" || install_db "$boot"
        fi
        t0=$(now)
        log "$boot: bootstrapping a new Primary component (seqno $(galera_seqno "$boot"))"
        launch_bootstrap "$boot"
        wait_synced "$boot" 1
        log "$boot: Synced ($(since "$t0")s)"
        ensure_accounts "$boot"
    else
        settle_view
        prim=$(primary_galera)
        [[ -n $prim ]] || prim=$(rebootstrap_primary)
        local to_recover=()
        for n in "${nodes[@]}"; do is_running "$n" || to_recover+=("$n"); done
        (( ${#to_recover[@]} == 0 )) || recover_nodes "${to_recover[@]}"
    fi
    # Joiners are started one after the other: each is launched once the
    # previous one is a member of the Primary component. Launching them at the
    # same moment makes their gcomm joins collide and costs seconds.
    local ref=${boot:-$prim}
    for n in "${nodes[@]}"; do
        [[ $n == "$boot" ]] && continue
        is_running "$n" && continue
        launch_joiner "$n"
        joiners+=("$n")
        wait_member "$ref" "$(running_galera | wc -l)" "$n"
    done
    t0=$(now)
    for n in "${joiners[@]}"; do
        wait_joiner "$n" 2
        log "$n: joined and Synced ($(since "$t0")s; $(state_transfer_kind "$n"))"
    done
}

# "SST", "IST" or "no state transfer", from the node's log since its last start.
state_transfer_kind() {
    local last
    last=$(last_start_log "$1")
    if grep -qE 'SST completed on joiner|Proceeding with SST' <<<"$last"; then
        echo SST
    elif grep -q 'Receiving IST:' <<<"$last"; then
        echo IST
    else
        echo "no state transfer"
    fi
}

standalone_start_async() {
    local n=$1
    write_cnf "$n"
    has_system_tables "$n" || install_db "$n"
    launch "$n"
}

# ---------------------------------------------------------------- stopping

stop_node() {
    local n=$1 pid deadline
    pid=$(node_pid "$n")
    [[ -n $pid ]] || return 0
    mariadb-admin --no-defaults --socket="$(node_sock "$n")" -uroot --connect-timeout=2 \
        shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + LAB_STOP_TIMEOUT))
    while pid_alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
    if pid_alive "$pid"; then
        log "$n: still running after ${LAB_STOP_TIMEOUT}s, sending SIGTERM"
        log_tail "$n" 10
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while pid_alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
    fi
    if pid_alive "$pid"; then
        log "$n: still running, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while pid_alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$(node_dir "$n")/launch.pid"
}

# Stop the given nodes in parallel; the last running galera node goes last so
# that it (and only it) ends up with safe_to_bootstrap: 1.
stop_nodes() {
    local n pids=() last="" rc=0
    for n in "$@"; do
        is_galera "$n" && is_running "$n" && last=$n
    done
    for n in "$@"; do
        [[ $n == "$last" ]] && continue
        stop_node "$n" & pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || rc=1; done
    [[ -z $last ]] || stop_node "$last" || rc=1
    return "$rc"
}

kill_node() {
    local n=$1 pid
    pid=$(node_pid "$n")
    [[ -n $pid ]] || { log "$n: not running"; return 0; }
    kill -KILL "$pid"
    while pid_alive "$pid"; do sleep 0.05; done
    rm -f "$(node_dir "$n")/launch.pid"
    printf '\n==== lab.sh: killed %s (pid %s) with SIGKILL at %s\n' "$n" "$pid" "$(date '+%F %T')" \
        >>"$(node_log "$n")"
}

# ---------------------------------------------------------------- commands

usage() {
    cat <<'EOF'
usage: lab.sh COMMAND [args]
  up [galera|standalone|all]  start the lab (default all); no-op for running nodes
  down [NODE...]              clean shutdown (default: every node)
  start NODE                  start one node (galera: recover + IST join, or bootstrap
                              when no galera node is running)
  stop NODE                   clean shutdown of one node
  kill NODE                   kill -9 one node
  status                      one line per node
  wait-synced [NODE...]       wait until galera nodes are Synced with cluster size 3
  sql NODE [mariadb args...]  mariadb client as root over the node's socket
  port NODE                   print the node's SQL port
  env                         print shell variables for tests (eval "$(lab.sh env)")
  wipe                        down + remove $LAB_DIR
nodes: g1 g2 g3 (galera, 3311-3313), r1 (3321, DR replica), s1 (3331, standalone)
environment: LAB_DIR (/tmp/ferry-lab), LAB_TIMEOUT (60 s per wait), LAB_STOP_TIMEOUT (60),
  LAB_SST (rsync|mariabackup), LAB_PORT_OFFSET (0; added to every port),
  LAB_LOCK_TIMEOUT (600; start/stop commands of concurrent callers are serialised)
EOF
}

cmd_up() {
    local what=${1:-all} t0 n
    local do_galera=0 do_standalone=0
    case $what in
        all) do_galera=1; do_standalone=1 ;;
        galera) do_galera=1 ;;
        standalone) do_standalone=1 ;;
        *) die "up: expected galera, standalone or all, got '$what'" ;;
    esac
    t0=$(now)
    prepare_lab_dir
    # Initialise every empty datadir at once (fresh galera: only the bootstrap
    # node, g1; the joiners get their data by SST).
    local started=() init=()
    if (( do_standalone )); then
        for n in "${STANDALONE_NODES[@]}"; do
            is_running "$n" && continue
            write_cnf "$n"
            has_system_tables "$n" || init+=("$n")
        done
    fi
    if (( do_galera )) && [[ -z $(running_galera) ]] && ! has_system_tables g1 &&
        ! has_galera_state g1 && ! has_galera_state g2 && ! has_galera_state g3; then
        write_cnf g1
        init+=(g1)
    fi
    install_dbs "${init[@]}"
    if (( do_standalone )); then
        for n in "${STANDALONE_NODES[@]}"; do
            is_running "$n" && continue
            standalone_start_async "$n"
            started+=("$n")
        done
    fi
    if (( do_galera )); then
        galera_start "${GALERA_NODES[@]}"
    fi
    if (( do_standalone )); then
        for n in "${started[@]}"; do wait_ready "$n"; done
        for n in "${STANDALONE_NODES[@]}"; do ensure_accounts "$n"; done
    fi
    if (( do_galera )); then
        for n in "${GALERA_NODES[@]}"; do wait_synced "$n" 3; done
    fi
    log "up $what: done in $(since "$t0")s"
}

cmd_start() {
    local n=${1:-} t0
    [[ -n $n ]] || die "start: which node?"
    check_node "$n"
    prepare_lab_dir
    t0=$(now)
    if is_running "$n"; then log "$n: already running"; return 0; fi
    if is_galera "$n"; then
        galera_start "$n"
    else
        standalone_start_async "$n"
        wait_ready "$n"
        ensure_accounts "$n"
    fi
    log "start $n: done in $(since "$t0")s"
}

cmd_down() {
    local nodes=("$@") n t0
    (( ${#nodes[@]} )) || nodes=("${ALL_NODES[@]}")
    for n in "${nodes[@]}"; do check_node "$n"; done
    t0=$(now)
    stop_nodes "${nodes[@]}"
    log "down ${nodes[*]}: done in $(since "$t0")s"
}

cmd_status() {
    local n st state size status
    for n in "${ALL_NODES[@]}"; do
        if ! is_running "$n"; then
            printf '%s %s down\n' "$n" "$(node_port "$n")"
        elif is_galera "$n"; then
            st=$(galera_state "$n")
            if [[ -z $st ]]; then
                printf '%s %s starting\n' "$n" "$(node_port "$n")"
            else
                read -r state size status <<<"$st"
                printf '%s %s up %s %s %s\n' "$n" "$(node_port "$n")" "$state" "$size" "$status"
            fi
        elif [[ $(q "$n" "SELECT 1" || true) == 1 ]]; then
            printf '%s %s up\n' "$n" "$(node_port "$n")"
        else
            printf '%s %s starting\n' "$n" "$(node_port "$n")"
        fi
    done
}

cmd_wait_synced() {
    local nodes=("$@") n
    (( ${#nodes[@]} )) || nodes=("${GALERA_NODES[@]}")
    for n in "${nodes[@]}"; do
        check_node "$n"
        is_galera "$n" || die "wait-synced: $n is not a galera node"
    done
    for n in "${nodes[@]}"; do wait_synced "$n" 3; done
}

cmd_env() {
    local n u
    printf 'LAB_DIR=%q\n' "$LAB_DIR"
    printf 'LAB_HOST=%s\n' "$HOST"
    printf "LAB_NODES='%s'\n" "${ALL_NODES[*]}"
    printf "LAB_GALERA_NODES='%s'\n" "${GALERA_NODES[*]}"
    for n in "${ALL_NODES[@]}"; do
        u=${n^^}
        printf '%s_PORT=%s\n' "$u" "$(node_port "$n")"
        printf '%s_SOCK=%q\n' "$u" "$(node_sock "$n")"
        printf '%s_LOG=%q\n' "$u" "$(node_log "$n")"
    done
    for n in "${GALERA_NODES[@]}"; do
        u=${n^^}
        printf '%s_GCOMM_PORT=%s\n%s_IST_PORT=%s\n%s_SST_PORT=%s\n' "$u" "$(gcomm_port "$n")" \
            "$u" "$(ist_port "$n")" "$u" "$(sst_port "$n")"
    done
    printf 'GALERA_GTID_DOMAIN=70\nGALERA_SERVER_ID=7000\nR1_SERVER_ID=8000\nR1_GTID_DOMAIN=80\nS1_SERVER_ID=9000\nS1_GTID_DOMAIN=90\n'
    printf 'LAB_ADMIN_USER=admin\nLAB_ADMIN_PASSWORD=admin_pw\n'
    printf 'LAB_MON_USER=maxmon\nLAB_MON_PASSWORD=maxmon_pw\n'
    printf 'LAB_REPL_USER=repl\nLAB_REPL_PASSWORD=repl_pw\n'
    printf 'LAB_MAXSCALE_USER=maxscale\nLAB_MAXSCALE_PASSWORD=maxscale_pw\n'
    printf 'LAB_APP_USER=app\nLAB_APP_PASSWORD=app_pw\n'
    printf 'LAB_APP2_USER=app2\nLAB_APP2_PASSWORD=app2_pw\n'
}

cmd_wipe() {
    if [[ -e $LAB_DIR ]]; then
        [[ -e $LAB_DIR/.ferry-lab ]] || [[ -z $(ls -A "$LAB_DIR") ]] ||
            die "wipe: $LAB_DIR is not a lab directory (no .ferry-lab marker); not removing it"
        stop_nodes "${ALL_NODES[@]}"
        rm -rf "$LAB_DIR"
    fi
    log "wiped $LAB_DIR"
}

# Commands that start or stop servers hold an exclusive lock (next to LAB_DIR,
# so that wipe can remove the directory): several test runners may call lab.sh
# at once, and two concurrent `up`s would initialise the same datadirs.
take_lock() {
    mkdir -p "$(dirname "$LAB_DIR")"
    exec 9>>"$LAB_DIR.lock"
    if ! flock -n 9; then
        log "waiting for another lab.sh on $LAB_DIR (lock $LAB_DIR.lock)"
        flock -w "$LAB_LOCK_TIMEOUT" 9 ||
            die "another lab.sh held $LAB_DIR.lock for more than ${LAB_LOCK_TIMEOUT}s"
    fi
}

main() {
    local cmd=${1:-help}
    (( $# )) && shift
    case $cmd in
        up|down|start|stop|kill|wipe) take_lock ;;
    esac
    case $cmd in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        start) cmd_start "$@" ;;
        stop) [[ $# -eq 1 ]] || die "stop: which node?"; check_node "$1"; stop_node "$1"; log "$1: stopped" ;;
        kill) [[ $# -eq 1 ]] || die "kill: which node?"; check_node "$1"; kill_node "$1" ;;
        status) cmd_status ;;
        wait-synced) cmd_wait_synced "$@" ;;
        sql)
            [[ $# -ge 1 ]] || die "sql: which node?"
            check_node "$1"
            local n=$1; shift
            exec mariadb --no-defaults --socket="$(node_sock "$n")" -uroot "$@"
            ;;
        port) [[ $# -eq 1 ]] || die "port: which node?"; check_node "$1"; node_port "$1" ;;
        env) cmd_env ;;
        wipe) cmd_wipe ;;
        help|-h|--help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
