#!/usr/bin/env bash
# Installs every Debian package Ferry needs to build, test and run its demo
# lab, skipping what is already there. Used by .ci/run, test/run-tests.sh
# and demo.sh; needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libmariadb-dev libevent-dev libssl-dev libconfig-dev libpcre2-dev zlib1g-dev libcmocka-dev libjansson-dev
  mariadb-server mariadb-client galera-4 mariadb-backup rsync
  python3 python3-pytest python3-pymysql python3-prometheus-client sysbench haproxy openssl procps iproute2
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# The distro's mariadb service must not start: the lab runs its own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
