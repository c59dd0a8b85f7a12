#!/usr/bin/env bash
# Atrophy confined to one visual area at a time (issue 16): CORnet-Z for 32x32 inputs trained on
# real CIFAR-10 once, then decay (P3, 5 iterations, gamma 0.5) of V1, V2, V4 or IT alone,
# retraining on 1000 images (R1000) or none (static), 3 cycles, with the CKA of every layer
# against the healthy model. Resumable: rerun the same command after a stop.
#   bash docs/experiments/cornet-areas.sh [OUT=runs/cornet-areas] [EPOCHS=30]
# Table: python3 bench/cornet_areas_table.py OUT; the four runs side by side in OUT/compare.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-runs/cornet-areas}
EPOCHS=${2:-30}
ATROPHY=${ATROPHY:-target/release/atrophy}
"$ATROPHY" -q train --dataset cifar10 --model cornet_z32 --epochs "$EPOCHS" --lr 0.05 \
  --schedule onecycle --out "$OUT/healthy"
for area in V1 V2 V4 IT; do
  "$ATROPHY" -q run docs/experiments/cornet-areas.toml --healthy "$OUT/healthy" \
    --set "injury.layers=[\"$area\"]" --set "name=\"cornet-$area\"" --out "$OUT/$area"
done
"$ATROPHY" compare "$OUT"/{V1,V2,V4,IT} --at 1.0 --out "$OUT/compare"
