#!/usr/bin/env bash
# Disease that spreads (docs/PROTOCOLS.md P12): CORnet-Z on real CIFAR-10 (the healthy model of
# docs/experiments/cornet-areas.sh, trained first if missing), decayed with the same quota by
# each progression model: uniform (global), posterior-first (diffusion from V1, staged V1 -> IT),
# anterior-first (diffusion from IT, staged IT -> V1) and activity-dependent. Resumable: rerun
# the same command after a stop.
#   ATROPHY_DATA=../shared/data bash docs/experiments/progression.sh [OUT=runs/progression] \
#     [HEALTHY=runs/cornet-areas/healthy]
# CIFAR-10 is looked for in `$ATROPHY_DATA`, then the user cache, then /usr/share/datasets.
# The runs side by side (accuracy, course, progression column): OUT/compare/compare.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-runs/progression}
HEALTHY=${2:-runs/cornet-areas/healthy}
ATROPHY=${ATROPHY:-target/release/atrophy}
if [ ! -f "$HEALTHY/model.safetensors" ]; then
  "$ATROPHY" -q train --dataset cifar10 --model cornet_z32 --epochs 30 --lr 0.05 \
    --schedule onecycle --out "$HEALTHY"
fi
run() { # NAME SETTINGS...
  local name=$1; shift
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  "$ATROPHY" -q run docs/experiments/progression.toml --healthy "$HEALTHY" \
    --set "name=\"progression-$name\"" "${sets[@]}" --out "$OUT/$name"
}
# The visual test battery (P14) on 500 test images for uniform, posterior-first and anterior-first
# diffusion: the in-silico patient's profile under each pattern of spread (issue 32).
BATTERY=('analyses=["accuracy","cka","battery"]' 'battery.images=500')
run uniform "injury.progression=\"uniform\"" "${BATTERY[@]}"
run diffusion-V1 "injury.progression=\"diffusion\"" "injury.origin=[\"V1\"]" "${BATTERY[@]}"
run staged-posterior "injury.progression=\"staged\"" "injury.stages=[\"posterior\"]"
run diffusion-IT "injury.progression=\"diffusion\"" "injury.origin=[\"IT\"]" "${BATTERY[@]}"
run staged-anterior "injury.progression=\"staged\"" "injury.stages=[\"anterior\"]"
run activity "injury.progression=\"activity\""
"$ATROPHY" compare "$OUT"/{uniform,diffusion-V1,staged-posterior,diffusion-IT,staged-anterior,activity} \
  --at 0.6 --out "$OUT/compare"
