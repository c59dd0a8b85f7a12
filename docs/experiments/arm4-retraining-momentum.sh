#!/usr/bin/env bash
# Issue 30, arm 4, second run: which of the text's two departures from the authors' code makes
# paper 001's ablation break down on the text's model. The first run (arm4-text-model.sh) took
# both at the text's word: a VGG19 without BatchNorm with three dense layers, and retraining by
# plain SGD (lr 0.001, batch 40, 3 epochs, no momentum, weight decay or augmentation). This one
# keeps the network and its healthy model (runs/arm4/healthy) and retrains with momentum 0.9,
# as the authors' code does (configs/moore-ablation.toml): if the breakdown moves far later,
# the retraining's step size made it; if not, the network without BatchNorm did. The retrained
# regime only (the static one is the first run's, from the same model and seed).
#   bash docs/experiments/arm4-retraining-momentum.sh [DATA] [HEALTHY_RUN=runs/arm4] [OUT=runs/arm4-momentum]
# About 2 h on 2 cores in bfloat16. Resumable: rerun the same command.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cifar-10-binary.tar.gz}
HEALTHY_RUN=${2:-runs/arm4}
OUT=${3:-runs/arm4-momentum}
ATROPHY=${ATROPHY:-target/release/atrophy}
MODEL=$HEALTHY_RUN/healthy/model.safetensors
if [ ! -f "$MODEL" ]; then
  echo "arm4-retraining-momentum: no healthy model at $MODEL (run arm4-text-model.sh first)" >&2
  exit 1
fi
"$ATROPHY" reproduce 001 --preset moore-ablation-text --cycles 1 --data "$DATA" \
  --healthy "$MODEL" --regimes retrained \
  --set 'regime.retrained.momentum=0.9' --set 'regime.retrained.precision="bf16"' --out "$OUT"
python3 bench/p001_table.py "$OUT"
