#!/usr/bin/env bash
# Training and inference throughput, atrophy beside PyTorch, alternating in one run on one machine:
# PyTorch's default (NCHW) loop, PyTorch with channels_last (what atrophy uses on the CPU), PyTorch
# with channels_last and glibc's allocator set as atrophy sets it (src/malloc.rs), atrophy; then
# the optimizer step alone (torch.optim.SGD beside atrophy's MaskedSgd).
#   bash bench/train_bench.sh [bench|full] [THREADS] [STEPS] [ROUNDS] [DEVICE]
# DEVICE is cpu (default) or cuda[:N]; on a GPU only the PyTorch loops (default and channels_last)
# and atrophy's run, as the allocator and optimizer-step comparisons are about the CPU.
# PRECISION=bf16 in the environment runs the training steps of both sides under autocast to
# bfloat16 (torch.autocast beside atrophy's `precision = "bf16"`); then on the CPU only the
# tuned PyTorch loop (channels_last, allocator) and atrophy, the float32 ones beside them.
#   PRECISION=bf16 bash bench/train_bench.sh bench 2 20 3
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-bench}; T=${2:-2}; S=${3:-20}; R=${4:-3}; D=${5:-cpu}; P=${PRECISION:-fp32}
scripts/setup.sh
cargo build --release --example train_bench --example sgd_bench -q
if [ "$P" = bf16 ] && [ "$D" = cpu ]; then
  for r in $(seq "$R"); do
    for bf in "" --bf16; do
      MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647 \
        .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --channels-last $bf
    done
    target/release/examples/train_bench "$W" "$T" "$S" cpu fp32
    target/release/examples/train_bench "$W" "$T" "$S" cpu bf16
  done
  exit 0
fi
if [ "$D" != cpu ]; then
  for r in $(seq "$R"); do
    .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --device "$D"
    .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --device "$D" --channels-last
    target/release/examples/train_bench "$W" "$T" "$S" "$D" "$P"
    [ "$P" = bf16 ] && .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --device "$D" --bf16
  done
  exit 0
fi
for r in $(seq "$R"); do
  .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S"
  .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --channels-last
  MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647 \
    .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --channels-last
  target/release/examples/train_bench "$W" "$T" "$S"
  .venv/bin/python bench/sgd_bench.py --widths "$W" --threads "$T" --steps 20
  target/release/examples/sgd_bench "$W" "$T" 20
done
