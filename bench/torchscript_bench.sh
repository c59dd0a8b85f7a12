#!/usr/bin/env bash
# TorchScript throughput, atrophy beside PyTorch, alternating in one run on one machine: the CIFAR
# ResNet-20 of bench/resnet_cifar.py in PyTorch eager mode, as a scripted module in PyTorch, and
# the same scripted file trained and evaluated by atrophy (its full loop, with masks).
#   bash bench/torchscript_bench.sh [THREADS] [STEPS] [ROUNDS] [DEVICE]
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-2}; S=${2:-20}; R=${3:-3}; D=${4:-cpu}
scripts/setup.sh
cargo build --release --example torchscript_bench -q
mkdir -p target/bench
for r in $(seq "$R"); do
  .venv/bin/python bench/torchscript_bench.py --threads "$T" --steps "$S" --device "$D" \
    --save target/bench/resnet20.pt
  target/release/examples/torchscript_bench target/bench/resnet20.pt "$T" "$S" "$D"
done
