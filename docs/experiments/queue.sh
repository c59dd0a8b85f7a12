#!/usr/bin/env bash
# Issue 30's long real-data runs, one after the other, one libtorch process at a time. First
# the runs that finish within one session and commit their result as they end (arm 2: the
# 60-epoch recipe, measured 2026-12-06 and skipped since, then the recipe's ingredients one at a time, about 40 min each in bfloat16,
# each log copied to docs/figures/arm2/): a new session's checkout does not always keep runs/
# (the one of 2026-12-06 started without it and lost arm 4's first 17 epochs). Then the runs
# that need several hours in one folder: paper 001 on its text's model (arm 4, about 4 h in
# bfloat16; then the same model retrained with momentum, about 2 h), the compressed origin
# from a 2x-wide model trained 30 epochs in bfloat16 (arm 3; about 2 h of training, then the
# reproductions; its healthy accuracy is also the recipe's at twice the bench widths, arm 2's
# question of width), and the compressed origin at the
# papers' scale (arm 3: a full-width vgg19_bn trained in bfloat16 mixed precision, about 7 h
# of training, pruned to 8.54 % of its parameters for paper 000 and to a third of its FLOPs
# for paper 001's code). Every step is resumable, so the queue is too:
# start it in the background at the start of each session,
#   nohup bash docs/experiments/queue.sh >> runs/queue.log 2>&1 &
# and it goes on where the last one stopped (a finished step is skipped in seconds). Pause it
# with `kill -STOP` on the atrophy process while you build or test, resume with `kill -CONT`.
# Before each step it waits while another atrophy command trains or injures (a run started by
# hand, or an earlier queue); a second queue exits at once. The binary is copied to
# runs/queue/atrophy when the queue starts, so a rebuild does not change a running step.
# A step in bf16 is skipped on a CPU without AVX512-BF16 (there bf16 is about 11 times slower
# than fp32: bench/RESULTS.md, 2026-12-07). A step that fails is logged and the next one
# starts. Edit this file by writing a new one and renaming it over (bash reads a running
# script as it goes).
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/cifar-10-binary.tar.gz}
mkdir -p runs/queue
exec 9> runs/queue/lock
if ! flock -n 9; then
  echo "another queue holds runs/queue/lock; exiting"
  exit 0
fi
if ! { cp "${ATROPHY:-target/release/atrophy}" runs/queue/atrophy.tmp &&
  mv runs/queue/atrophy.tmp runs/queue/atrophy; }; then
  echo "no atrophy binary to copy (build it: cargo build --release --bin atrophy); exiting"
  exit 1
fi
export ATROPHY=runs/queue/atrophy
# An atrophy command that trains or injures, global options before the command or not.
busy() { pgrep -f '^[^ ]*atrophy[^ ]* (.* )?(train|run|reproduce|compress|plasticity) ' > /dev/null; }
# Whether this CPU computes in bfloat16 (AVX512-BF16): without it a bf16 training step is about
# 11 times slower than fp32 (bench/RESULTS.md, 2026-12-07), and the bf16 steps below, whose
# training records and committed logs are bf16, are skipped rather than run for days.
native_bf16() { grep -qw avx512_bf16 /proc/cpuinfo; }
step() { # NAME COMMAND...
  local name=$1; shift
  if [[ " $* " == *" PRECISION=bf16 "* ]] && ! native_bf16; then
    echo "== $name: skipped $(date -u +%FT%TZ): bf16 on a CPU without AVX512-BF16"
    return 0
  fi
  while busy; do sleep 60; done
  echo "== $name: start $(date -u +%FT%TZ)"
  local rc=0
  "$@" 9>&- || rc=$? # the step does not hold the queue's lock
  echo "== $name: end $(date -u +%FT%TZ), exit status $rc"
}
step arm2-recipe-60 env ONLY=recipe-60 bash docs/experiments/arm2-ingredients.sh "$DATA"
step arm2-ingredients bash docs/experiments/arm2-ingredients.sh "$DATA"
# Arm 4's pages are committed (measured 2026-12-06): with them there its steps are skipped, so a
# checkout without runs/ does not spend 6 h measuring them again.
[ -f docs/reproductions/001-text-1cycle.md ] ||
  step arm4-text-model bash docs/experiments/arm4-text-model.sh "$DATA"
[ -f docs/reproductions/001-text-momentum-1cycle.md ] ||
  step arm4-momentum bash docs/experiments/arm4-retraining-momentum.sh "$DATA"
step arm3-wide30 env PRECISION=bf16 TRAIN_LOG=docs/figures/cifar10_vgg19bn_wide2x_recipe30_train_log.csv \
  bash docs/experiments/arm3-compressed-origin.sh "$DATA" runs/arm3-wide30
step arm3-full-000 env WIDTHS=full FLOPS_KEEP=0.087 COMPRESSED=p000 PAPERS=000 \
  REGIMES=R1000,static FINETUNE=20 PRECISION=bf16 \
  TRAIN_LOG=docs/figures/cifar10_vgg19bn_full_recipe30_train_log.csv \
  bash docs/experiments/arm3-compressed-origin.sh "$DATA" runs/arm3-full
step arm3-full-001 env WIDTHS=full FLOPS_KEEP=0.333 COMPRESSED=p001 PAPERS=001 FINETUNE=20 \
  PRECISION=bf16 bash docs/experiments/arm3-compressed-origin.sh "$DATA" runs/arm3-full
echo "== queue done $(date -u +%FT%TZ)"
