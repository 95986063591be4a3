#!/usr/bin/env bash
# The installed package, through its console script: a wheel in a fresh virtualenv, no checkout
# on PYTHONPATH. Each step fails the job when runledger exits non-zero or prints nothing useful.
set -euo pipefail
command -v runledger
runledger --version
work=$(mktemp -d)
cd "$work"
git init -q -b main
printf 'import sys\nlr = float(sys.argv[sys.argv.index("--lr") + 1])\nfor epoch in range(3):\n    print(f"epoch={epoch} loss={1 / (1 + lr * (epoch + 1)):.4f}")\n' > train.py
git add train.py && git commit -qm train
runledger exec python train.py --lr 0.1
runledger exec python train.py --lr 0.2
runledger ls | grep -q "python train.py"
first=$(runledger ls --json | python -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
runledger show "$first" | grep -q "lr"
runledger compare --metric loss --format csv | grep -q "params.lr"
runledger reproduce "$first" --yes
runledger report -o report.html
grep -q "<html" report.html
echo "smoke: the installed package works"
