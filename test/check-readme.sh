#!/usr/bin/env bash
# Checks that README.md's configuration reference is exactly what
# `ferryd --config-reference` prints, so no parameter goes undocumented.
# Usage: check-readme.sh FERRYD README.md
set -euo pipefail
ferryd=$1 readme=$2
expected=$("$ferryd" --config-reference)
actual=$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' "$readme" |
  sed '1d;$d')
if [ "$expected" != "$actual" ]; then
  echo "README.md's configuration reference is stale; regenerate it with:"
  echo "  $ferryd --config-reference"
  diff <(echo "$expected") <(echo "$actual") || true
  exit 1
fi
echo "README configuration reference is up to date"
