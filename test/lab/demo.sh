#!/usr/bin/env bash
# The README's first command: installs what is missing, builds ferryd, starts
# the local lab (test/lab/lab.sh) and runs Ferry in front of it with the
# example configuration etc/ferry.conf, then prints how to connect.
# `test/lab/demo.sh stop` stops Ferry and the lab again.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
demo_dir=/tmp/ferry-demo
pidfile=$demo_dir/ferryd.pid

stop_ferry() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = stop ]; then
  stop_ferry
  test/lab/lab.sh down
  exit 0
fi

test/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
test/lab/lab.sh up all

mkdir -p "$demo_dir"
stop_ferry
build/server/ferryd --check -c etc/ferry.conf
(exec setsid build/server/ferryd -c etc/ferry.conf >>"$demo_dir/ferryd.log" 2>&1 </dev/null) &
echo $! >"$pidfile"
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/4008) 2>/dev/null && break
  sleep 0.1
done
cat <<MSG

Ferry is running (pid $(cat "$pidfile")), log: $demo_dir/ferryd.log
Connect through it (readconnroute to the Galera master g1..g3):

  mariadb -h127.0.0.1 -P4008 -uapp -papp_pw test

Replicate from its binlog relay (port 4009), or read it:

  mariadb-binlog --read-from-remote-server -h127.0.0.1 -P4009 -urepl -prepl_pw --to-last-log binlog.000001

See what Ferry sees:

  build/server/ferryctl/ferryctl -S $demo_dir/ferryd.sock list servers

Other accounts: see test/lab/README.md. Stop everything: test/lab/demo.sh stop
MSG
