#!/usr/bin/env bash
# Training and inference throughput, atrophy beside PyTorch, alternating in one run on one machine:
# PyTorch's default (NCHW) loop, PyTorch with channels_last (what atrophy uses on the CPU), PyTorch
# with channels_last and glibc's allocator set as atrophy sets it (src/malloc.rs), atrophy; then
# the optimizer step alone (torch.optim.SGD beside atrophy's MaskedSgd).
#   bash bench/train_bench.sh [bench|full] [THREADS] [STEPS] [ROUNDS] [DEVICE]
# DEVICE is cpu (default) or cuda[:N]; on a GPU only the PyTorch loops (default and channels_last)
# and atrophy's run, as the allocator and optimizer-step comparisons are about the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-bench}; T=${2:-2}; S=${3:-20}; R=${4:-3}; D=${5:-cpu}
scripts/setup.sh
cargo build --release --example train_bench --example sgd_bench -q
if [ "$D" != cpu ]; then
  for r in $(seq "$R"); do
    .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --device "$D"
    .venv/bin/python bench/train_bench.py --widths "$W" --threads "$T" --steps "$S" --device "$D" --channels-last
    target/release/examples/train_bench "$W" "$T" "$S" "$D"
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
