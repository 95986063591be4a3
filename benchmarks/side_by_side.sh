#!/usr/bin/env bash
# Old and new code side by side on copies of one populated ledger, in turn, with /usr/bin/time:
# the README's cells marked † were measured with it.
#
#   benchmarks/side_by_side.sh OLD_CHECKOUT LEDGER ROUNDS [--sync] > times.txt
#
# OLD_CHECKOUT: a checkout of the code before (git worktree add --detach /tmp/old REV);
# LEDGER: a repository filled by benchmarks/populate.py (it is copied, never changed).
# --sync: also `which FILE`, `pull` of every run into a fresh clone and `push` of 1,000 new
# runs (populate.py writes them first, untimed).
# Each line: label code wall_s user_s sys_s max_rss_kib (user and sys count the processes the
# command waited for: git, index workers; max_rss is the largest of them, not their sum). The
# index layouts of the two codes may differ, so each code gets its own copy of the ledger. Python keeps its bytecode cache, as
# on a user's machine: with PYTHONDONTWRITEBYTECODE set, every run compiled runledger anew.
set -euo pipefail
OLD=$(cd "$1" && pwd); LEDGER=$(cd "$2" && pwd); ROUNDS=$3; SYNC=${4:-}
NEW=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
unset PYTHONDONTWRITEBYTECODE
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for code in old new; do cp -a "$LEDGER" "$WORK/$code"; done
code_path() { if [ "$1" = old ]; then echo "$OLD"; else echo "$NEW"; fi; }
timed_in() { # folder code label command...
  local folder=$1 code=$2 label=$3; shift 3
  (cd "$folder" && PYTHONPATH=$(code_path "$code") /usr/bin/time -o "$WORK/time" \
    -f "%e %U %S %M" "$@" >/dev/null 2>&1) || true
  echo "$label $code $(cat "$WORK/time" | tail -1)"
}
timed() { local code=$1; shift; timed_in "$WORK/$code" "$code" "$@"; }
for code in old new; do timed "$code" index-build "$PY" -m runledger ls --json; done
# The 100th best acc: `compare --where "metrics.acc >= it"` keeps about 100 runs.
THRESHOLD=$(cd "$WORK/new" && PYTHONPATH=$NEW "$PY" -m runledger ls --json | "$PY" -c '
import json, sys
values = sorted((run["metrics"].get("acc") or 0.0 for run in json.load(sys.stdin)), reverse=True)
print(repr(values[min(100, len(values)) - 1]))')
echo "a file no run recorded" > "$WORK/probe.bin"
if [ -n "$SYNC" ]; then # the first which after a build reads every run's files.toml once
  for code in old new; do timed "$code" which-first-after-build "$PY" -m runledger which \
    "$WORK/probe.bin"; done
fi
for _ in $(seq "$ROUNDS"); do
  for code in old new; do
    timed "$code" compare-table "$PY" -m runledger compare --metric acc
    timed "$code" compare-newest "$PY" -m runledger compare
    timed "$code" compare-where-100 "$PY" -m runledger compare --where "metrics.acc >= $THRESHOLD" \
      --metric acc
    timed "$code" load-runs "$PY" -c "import runledger; runledger.load_runs()"
    timed "$code" ls-json "$PY" -m runledger ls --json
    timed "$code" compare-csv "$PY" -m runledger compare --format csv
    if [ -n "$SYNC" ]; then
      timed "$code" which-warm "$PY" -m runledger which "$WORK/probe.bin"
      rm -rf "$WORK/clone"
      git clone -q "$WORK/$code" "$WORK/clone"
      timed_in "$WORK/clone" "$code" pull-fresh-clone "$PY" -m runledger pull origin
      rm -rf "$WORK/remote.git" "$WORK/pusher"
      git clone -q --bare "$WORK/$code" "$WORK/remote.git"
      git clone -q "$WORK/remote.git" "$WORK/pusher"
      PYTHONPATH=$NEW "$PY" "$NEW/benchmarks/populate.py" "$WORK/pusher" --runs 1000 --quiet
      timed_in "$WORK/pusher" "$code" push-1000 "$PY" -m runledger push origin
    fi
    rm -f "$WORK/$code/.git/runledger/index.sqlite"*
    timed "$code" cold-ls-json "$PY" -m runledger ls --json
    [ -z "$SYNC" ] || timed "$code" which-first-after-build "$PY" -m runledger which "$WORK/probe.bin"
  done
done
