#!/usr/bin/env bash
# Checks that README.md's configuration reference is exactly what
# `ferryd --config-reference` prints, so no parameter goes undocumented.
# Usage: check-readme.sh FERRYD README.md [--update]
set -euo pipefail
ferryd=$1 readme=$2
expected=$("$ferryd" --config-reference)
if [ "${3:-}" = --update ]; then
  python3 - "$readme" "$expected" <<'PY'
import sys
path, ref = sys.argv[1], sys.argv[2]
text = open(path).read()
a, b = '<!-- config-reference:begin -->', '<!-- config-reference:end -->'
text = text[:text.index(a) + len(a)] + '\n' + ref + '\n' + text[text.index(b):]
open(path, 'w').write(text)
PY
  exit 0
fi
actual=$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' "$readme" |
  sed '1d;$d')
if [ "$expected" != "$actual" ]; then
  echo "README.md's configuration reference is stale; regenerate it with:"
  echo "  test/check-readme.sh $ferryd $readme --update"
  diff <(echo "$expected") <(echo "$actual") || true
  exit 1
fi
echo "README configuration reference is up to date"
