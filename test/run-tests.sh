#!/usr/bin/env bash
# Runs all of Ferry's tests, as CI does: installs missing packages, builds
# the normal, the AddressSanitizer+UBSan and the libFuzzer builds, checks
# formatting, then runs the unit tests, short fuzz runs and the integration
# suite (against real MariaDB and Galera servers from test/lab) in both the
# normal and the sanitizer build. One lab is started and shared by all.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc)

test/install-deps.sh

step() { printf '\n=== %s\n' "$*"; }

step "build (RelWithDebInfo, ASan+UBSan, fuzz)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFERRY_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"

step "clang-format"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

step "unit tests"
ctest --test-dir build -LE 'integration|fuzz' --output-on-failure
ctest --test-dir build-asan -LE 'integration|fuzz' --output-on-failure

step "fuzz smoke runs"
ctest --test-dir build-fuzz -L fuzz --output-on-failure

cleanup() { [ "${FERRY_KEEP_LAB:-0}" = 1 ] || test/lab/lab.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
step "lab"
test/lab/lab.sh up all
export FERRY_KEEP_LAB_RUNNING=1

step "integration tests (normal build)"
FERRY_KEEP_LAB=1 ctest --test-dir build -L integration --output-on-failure

step "integration tests (ASan+UBSan build)"
FERRY_KEEP_LAB=1 FERRY_SYSBENCH_TIME="${FERRY_SYSBENCH_TIME_ASAN:-20}" \
  ctest --test-dir build-asan -L integration --output-on-failure
echo "all tests passed ($top)"
