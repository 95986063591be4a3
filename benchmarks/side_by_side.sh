#!/usr/bin/env bash
# Old and new code side by side on copies of one populated ledger, in turn, with /usr/bin/time:
# the README's cells marked † were measured with it.
#
#   benchmarks/side_by_side.sh OLD_CHECKOUT LEDGER ROUNDS > times.txt
#
# OLD_CHECKOUT: a checkout of the code before (git worktree add --detach /tmp/old REV);
# LEDGER: a repository filled by benchmarks/populate.py (it is copied, never changed).
# Each line: label code wall_s user_s sys_s max_rss_kib. The index layouts of the two codes may
# differ, so each code gets its own copy of the ledger.
set -euo pipefail
OLD=$(cd "$1" && pwd); LEDGER=$(cd "$2" && pwd); ROUNDS=$3
NEW=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for code in old new; do cp -a "$LEDGER" "$WORK/$code"; done
code_path() { if [ "$1" = old ]; then echo "$OLD"; else echo "$NEW"; fi; }
timed() { # code label command...
  local code=$1 label=$2; shift 2
  (cd "$WORK/$code" && PYTHONPATH=$(code_path "$code") /usr/bin/time -o "$WORK/time" \
    -f "%e %U %S %M" "$@" >/dev/null 2>&1) || true
  echo "$label $code $(cat "$WORK/time" | tail -1)"
}
for code in old new; do timed "$code" index-build "$PY" -m runledger ls --json >/dev/null; done
for _ in $(seq "$ROUNDS"); do
  for code in old new; do
    timed "$code" compare-table "$PY" -m runledger compare --metric acc
    timed "$code" compare-newest "$PY" -m runledger compare
    timed "$code" load-runs "$PY" -c "import runledger; runledger.load_runs()"
    timed "$code" ls-json "$PY" -m runledger ls --json
    timed "$code" compare-csv "$PY" -m runledger compare --format csv
    rm -f "$WORK/$code/.git/runledger/index.sqlite"*
    timed "$code" cold-ls-json "$PY" -m runledger ls --json
  done
done
