#!/usr/bin/env bash
# Issue 30, arm 3: "the compressed origin model". Paper 000 injures "a highly compressed model";
# the bench model was trained at its small size instead. Here a vgg19_bn of twice the bench
# widths is trained with the 30-epoch recipe (docs/RESULTS.md, "A 30-epoch healthy recipe";
# about 4x the bench compute per epoch: 313 s per epoch in fp32 measured, about 2.6 h for
# the 30 on 2 cores, about 2 h in bf16), pruned by filter L1 norm,
# every layer keeping its stronger half (--scope layer; --flops-keep 0.2517 is the bench widths'
# 47,445,728 MACs over the wide model's 188,562,880), fine-tuned (P2), then put through paper
# 000's and paper 001's protocols beside the bench model's pages. (Pruning with --scope global
# to a quarter of the FLOPs left one filter in each of the last 13 convs: 24.9 % after
# fine-tuning.)
#   bash docs/experiments/arm3-compressed-origin.sh [DATA=../shared/data/cifar-10-binary.tar.gz] [OUT=runs/arm3]
# Environment: EPOCHS (the wide model's, default 30), FINETUNE (default 10), PAPERS (default
# "000 001"), REGIMES (paper 000's regimes, default all), WIDTHS (the wide model's, default
# twice the bench widths; `full` for VGG19's), FLOPS_KEEP (default 0.2517, the bench widths'
# share of the 2x model) and COMPRESSED (the pruned model's folder under OUT, default
# `compressed`; its reproductions go to OUT/reproPAPER, or OUT/reproPAPER-COMPRESSED when it
# is named), PRECISION (the wide model's training arithmetic: fp32, the default, or bf16, about
# 1.5 times as fast per step on a CPU with AVX512-BF16; the compression's fine-tuning stays
# fp32). At the papers' scale (GPU work; about 9 h of training on 2 cores in fp32, about 7 h
# in bf16):
#   WIDTHS=full FLOPS_KEEP=0.087 COMPRESSED=p000 PAPERS=000 REGIMES=R1000,static FINETUNE=20 \
#     PRECISION=bf16 bash docs/experiments/arm3-compressed-origin.sh DATA runs/arm3-full   # paper 000: 8.5 % of the parameters
#   WIDTHS=full FLOPS_KEEP=0.333 COMPRESSED=p001 PAPERS=001 FINETUNE=20 \
#     PRECISION=bf16 bash docs/experiments/arm3-compressed-origin.sh DATA runs/arm3-full   # paper 001's code: a third of the FLOPs
# (the second reuses the first's trained model: it must be given the same PRECISION, which is
# part of the training's record; another is refused as a different configuration). A machine that keeps no run folder
# from one 3-hour session to the next runs the reduced arm in one go:
#   EPOCHS=12 FINETUNE=10 PAPERS=000 REGIMES=R1000,static bash docs/experiments/arm3-compressed-origin.sh
# (measured 2026-12-05: 63 min of training, about 15 min of compression and fine-tuning, 7 min of
# reproduction, before arm 1's retrainings below were added: about 30 min more; docs/RESULTS.md,
# "The compressed origin"). Paper 001 on the same model adds about 1.6 h: PAPERS=001.
# With paper 000 among PAPERS, the compressed model then goes through arm 1's six retrainings
# (docs/experiments/retraining-batch.toml: R1000 at batch 128 / 32 / 8, each with and without
# BatchNorm recalibration; about 30 min at the bench size) into OUT/retraining-batch (or
# OUT/retraining-batch-COMPRESSED): the issue's "R1000, with and without recalibration" on
# the compressed origin, every arm losing the same synapses.
# TRAIN_LOG=FILE copies the wide model's training log there as soon as its training ends (the
# file is committed by hand: it outlives a run folder that does not survive the session).
# Rerun the same command after a stop: a finished step is skipped, the training resumes at its
# last epoch, the compression's fine-tuning (FINETUNE epochs of the pruned model; 10 at the bench
# size take about 15 min) at its last finished epoch (since 2026-12-06; the atrophy of a queue
# started before that began it again), and each reproduction resumes at its next state.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cifar-10-binary.tar.gz}
OUT=${2:-runs/arm3}
ATROPHY=${ATROPHY:-target/release/atrophy}
EPOCHS=${EPOCHS:-30}
FINETUNE=${FINETUNE:-10}
PAPERS=${PAPERS:-000 001}
REGIMES=${REGIMES:-}
WIDE=${WIDTHS:-44,44,M,88,88,M,176,176,176,176,M,352,352,352,352,M,352,352,352,352,M}
FLOPS_KEEP=${FLOPS_KEEP:-0.2517}
COMPRESSED=${COMPRESSED:-compressed}
PRECISION=${PRECISION:-fp32}
if [ ! -f "$OUT/wide/model.safetensors" ]; then
  "$ATROPHY" train --dataset cifar10 --data "$DATA" --model vgg19_bn --widths "$WIDE" \
    --epochs "$EPOCHS" --lr 0.1 --schedule onecycle:0.25 --nesterov --label-smoothing 0.1 \
    --precision "$PRECISION" --out "$OUT/wide"
fi
if [ -n "${TRAIN_LOG:-}" ]; then
  mkdir -p "$(dirname "$TRAIN_LOG")"
  cp "$OUT/wide/train_log.csv" "$TRAIN_LOG.tmp" && mv "$TRAIN_LOG.tmp" "$TRAIN_LOG"
fi
if [ ! -f "$OUT/$COMPRESSED/model.safetensors" ]; then
  "$ATROPHY" compress "$OUT/wide/model.safetensors" --data "$DATA" --flops-keep "$FLOPS_KEEP" \
    --scope layer --finetune-epochs "$FINETUNE" --out "$OUT/$COMPRESSED"
fi
suffix=""
[ "$COMPRESSED" = compressed ] || suffix="-$COMPRESSED"
for paper in $PAPERS; do
  only=()
  if [ "$paper" = 000 ] && [ -n "$REGIMES" ]; then only=(--regimes "$REGIMES"); fi
  "$ATROPHY" reproduce "$paper" --cycles 1 --data "$DATA" "${only[@]}" \
    --healthy "$OUT/$COMPRESSED/model.safetensors" --out "$OUT/repro$paper$suffix"
  if [ "$paper" = 000 ]; then
    "$ATROPHY" run docs/experiments/retraining-batch.toml \
      --healthy "$OUT/$COMPRESSED/model.safetensors" \
      --set "data.path=\"$DATA\"" --out "$OUT/retraining-batch$suffix"
    python3 bench/arms_table.py "$OUT/retraining-batch$suffix" --iterations 1,3,6,8,10
  fi
done
