#!/usr/bin/env bash
# Issue 30, arm 2: the healthy recipe's ingredients, each alone. The bench-width vgg19_bn from
# scratch for 30 epochs (SGD momentum 0.9, weight decay 5e-4, batch 128) with a cosine schedule
# from lr 0.05 and crop + flip: the baseline. Each other run changes one thing: label smoothing
# 0.1, Nesterov momentum, the one-cycle schedule (peak 0.1 at 25 %) instead of cosine, no
# crop + flip, cutout 16 (DeVries & Taylor 2017); then the recipe (all three of docs/RESULTS.md,
# "A 30-epoch healthy recipe") with cutout, the recipe for 60 epochs (longer), and the recipe
# in mixed precision (`--precision bf16`). The recipe gave the same accuracy in bfloat16 as in
# float32 (89.80 against 89.71 %, 2026-12-06) in 0.66 h instead of 0.88-1.1 h (median epochs
# of 79 s against 105-132 s), so the six single ingredients (baseline to cutout) train in
# bf16, all alike; the recipe's runs keep the precision they were measured in. About 40 min
# per 30-epoch run in bf16 on 2 cores (4 h in all), 53-66 min in float32.
#   bash docs/experiments/arm2-ingredients.sh [DATA=../shared/data/cifar-10-binary.tar.gz] [OUT=runs/arm2]
# Resumable: rerun the same command; a finished run is skipped, a stopped one continues at its
# last finished epoch. Each finished run's log is copied to docs/figures/arm2/NAME.csv, and a
# run whose log is there is skipped: committed, the logs carry the arm across machines that keep
# no run folder (some 40-min runs a session). ONLY=NAME runs just that one. Every run finished
# so far, beside the cosine schedule's 60 epochs (the healthy model before the recipe) and the
# recipe's 30, as `atrophy compare` draws them: docs/figures/arm2/compare.md and
# compare_training.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/cifar-10-binary.tar.gz}
OUT=${2:-runs/arm2}
ATROPHY=${ATROPHY:-target/release/atrophy}
LOGS=docs/figures/arm2
ONLY=${ONLY:-}
mkdir -p "$LOGS"
BASE=(--dataset cifar10 --data "$DATA" --model vgg19_bn --widths bench --threads 2 -q)
COSINE=(--lr 0.05 --schedule cosine)
RECIPE=(--lr 0.1 --schedule onecycle:0.25 --nesterov --label-smoothing 0.1)
train() { # NAME EPOCHS ARGS...
  local name=$1 epochs=$2; shift 2
  if [ -f "$LOGS/$name.csv" ] || { [ -n "$ONLY" ] && [ "$ONLY" != "$name" ]; }; then
    return 0
  fi
  if [ ! -f "$OUT/$name/model.safetensors" ]; then
    echo "== $name ($epochs epochs) $(date -u +%FT%TZ)"
    "$ATROPHY" train "${BASE[@]}" --epochs "$epochs" "$@" --out "$OUT/$name"
  fi
  cp "$OUT/$name/train_log.csv" "$LOGS/$name.csv.tmp" && mv "$LOGS/$name.csv.tmp" "$LOGS/$name.csv"
}
BF16=(--precision bf16)
train baseline 30 "${COSINE[@]}" "${BF16[@]}"
train label-smoothing 30 "${COSINE[@]}" "${BF16[@]}" --label-smoothing 0.1
train nesterov 30 "${COSINE[@]}" "${BF16[@]}" --nesterov
train onecycle 30 --lr 0.1 --schedule onecycle:0.25 "${BF16[@]}"
train no-crop-flip 30 "${COSINE[@]}" "${BF16[@]}" --augment off
train cutout 30 "${COSINE[@]}" "${BF16[@]}" --cutout 16
train recipe-cutout 30 "${RECIPE[@]}" --precision fp32 --cutout 16
train recipe-60 60 "${RECIPE[@]}" --precision fp32
train recipe-bf16 30 "${RECIPE[@]}" --precision bf16
# More optimizer steps in the same 30 epochs: one-cycle alone (the best single ingredient) with
# batches of 64 instead of 128, in fp32 (measured 2026-12-07 on a CPU without AVX512-BF16,
# where bf16 is about 11 times slower).
train onecycle-batch64 30 --lr 0.1 --schedule onecycle:0.25 --batch-size 64 --precision fp32
logs=(docs/figures/cifar10_vgg19bn_bench60_train_log.csv docs/figures/cifar10_vgg19bn_bench_recipe30_train_log.csv)
labels=cosine-60,recipe-30
for r in baseline label-smoothing nesterov onecycle no-crop-flip cutout recipe-cutout recipe-60 recipe-bf16 onecycle-batch64; do
  if [ -f "$LOGS/$r.csv" ]; then logs+=("$LOGS/$r.csv"); labels+=",$r"; fi
done
# The recipe at twice the bench widths (arm 3's wide model, the queue's step arm3-wide30), drawn
# with these as docs/RESULTS.md's figure is.
wide=docs/figures/cifar10_vgg19bn_wide2x_recipe30_train_log.csv
if [ -f "$wide" ]; then logs+=("$wide"); labels+=",recipe-bf16-2x"; fi
"$ATROPHY" compare "${logs[@]}" --labels "$labels" --out "$LOGS"
rm -f "$LOGS/compare_training.svg" # only the PNG is committed
cat "$LOGS/compare.md"
