#!/usr/bin/env bash
# Train shipped checkpoints from their registered recipes (train/shipped.py), in training order, on
# ../shared/data (train splits; val splits for validation), then copy each model to checkpoints/
# (an intermediate stage that joins with its start writes runs/NAME-joined instead).
#
#   bash scripts/train_shipped.sh [NAME ...]     # default: every shipped recipe; runs/<checkpoint>/ keeps logs and state
#   python -m train --list-recipes               # the shipped recipes say "shipped run: ..."
#
# A name is a recipe: NAME trains checkpoint NAME, NAME:STAGE continues it (--resume); a stage that
# starts from another stage's weights needs that stage trained first. Time budgets (--max-minutes in the
# recipes) end most runs on a CPU; on a GPU, raise the steps and drop the budgets on the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export INPAINTING_DATA=${DATA:-../shared/data}

if [ $# -gt 0 ]; then names=("$@"); else read -r -a names <<< "$($PY -c 'from train.shipped import ORDER; print(*ORDER)')"; fi
mkdir -p runs checkpoints
for name in "${names[@]}"; do
  echo "== $name"
  $PY -m train --recipe "$name" --no-progress --log-every 50 --seed 0 2>&1 | tee -a "runs/${name%%:*}.log"
  $PY -c 'import sys; from train.shipped import ship; print("wrote:", ship(sys.argv[1]) or "nothing (an intermediate stage without a join)")' "$name"
done
