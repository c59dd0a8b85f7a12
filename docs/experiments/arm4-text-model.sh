#!/usr/bin/env bash
# Issue 30, arm 4: paper 001 as its workshop text reads (preset moore-ablation-text: a plain
# VGG19 without BatchNorm, three dense layers 4096-4096-10 with dropout, 15 ablations of 20 %
# of the remaining synapses per layer, each followed by 3 epochs of plain SGD on the full
# training set at batch 40), one full cycle. On the CPU at the benchmark conv widths (the dense
# layers keep VGG19's 4096); the full widths (the same command without the `--set` of the
# widths) are GPU work. Training and retraining run in bfloat16 mixed precision (`precision =
# "bf16"`: the same accuracy as float32 for arm 2's recipe; the paper says nothing of
# precision). In float32 about 2.5 h for the healthy model's 60 epochs and 3-4 h for the 15
# iterations on 2 cores; in bf16 about 100 s per healthy epoch (1.7 h for the 60, measured
# 2026-12-06) and about 4 h in all.
#   bash docs/experiments/arm4-text-model.sh [DATA=../shared/data/cifar-10-binary.tar.gz] [OUT=runs/arm4]
# Resumable: rerun the same command; it continues at the last finished epoch or state.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cifar-10-binary.tar.gz}
OUT=${2:-runs/arm4}
ATROPHY=${ATROPHY:-target/release/atrophy}
"$ATROPHY" reproduce 001 --preset moore-ablation-text --cycles 1 --data "$DATA" \
  --set 'healthy.train.widths="bench"' --set 'healthy.train.precision="bf16"' \
  --set 'regime.retrained.precision="bf16"' --out "$OUT"
python3 bench/p001_table.py "$OUT"
