#!/usr/bin/env bash
# Prepares a checkout for `cargo run --release -- run` (the main job) and `cargo test`:
#
# 1. Creates the project-local Python environment that carries libtorch (PyPI wheel
#    torch==2.13.0, the exact version tch 0.26 binds) when it is missing, and links it at
#    .venv/libtorch, where .cargo/config.toml points the build.
# 2. Makes sure the main job finds Fashion-MNIST without a network: when it is in none of the
#    places atrophy searches (src/data/locate.rs) and this is a Debian-like machine on which the
#    script runs as root, installs Debian's `dataset-fashion-mnist` package; otherwise says in
#    one line that the main job will download it on its first run. The data never fails setup.
#
# Idempotent: with both in place a second call prints nothing and returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0

setup_torch() {
  if [ -e .venv/libtorch/lib/libtorch_cpu.so ] && [ -e .venv/.torch-$TORCH_VERSION ]; then
    return 0
  fi
  local py=${PYTHON:-python3}
  command -v "$py" >/dev/null || { echo "setup: $py not found; install Python 3.10+ (or set PYTHON=...)" >&2; exit 1; }
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "setup: $py is older than 3.10, which torch==$TORCH_VERSION requires (set PYTHON=python3.X)" >&2; exit 1; }
  # build.rs compiles a small C++ shim against libtorch.
  command -v "${CXX:-c++}" >/dev/null || { echo "setup: no C++ compiler (${CXX:-c++}) found; install g++ (Debian: apt-get install g++)" >&2; exit 1; }
  echo "setup: creating .venv with torch==$TORCH_VERSION (about 5 GB, CUDA libraries included) ..." >&2
  # A .venv that an interrupted first call (or a Python without its venv module's pip) left
  # without a working pip is made again, not reused.
  if [ -x .venv/bin/python ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    echo "setup: .venv has no working pip (an interrupted first setup?); creating it again" >&2
    rm -rf .venv
  fi
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv || { echo "setup: '$py -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  fi
  .venv/bin/python -m pip install --disable-pip-version-check --no-cache-dir -q "torch==$TORCH_VERSION"
  local torch_dir
  torch_dir=$(.venv/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  ln -sfn "$torch_dir" .venv/libtorch
  touch .venv/.torch-$TORCH_VERSION
  echo "setup: libtorch at $torch_dir" >&2
}

# The user cache atrophy downloads into: $ATROPHY_CACHE, else the platform cache folder
# ($XDG_CACHE_HOME or ~/.cache) + atrophy, as `cache_dir` in src/data/locate.rs.
atrophy_cache() {
  if [ -n "${ATROPHY_CACHE:-}" ]; then
    echo "$ATROPHY_CACHE"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then
    echo "$XDG_CACHE_HOME/atrophy"
  else
    echo "${HOME:-/tmp}/.cache/atrophy"
  fi
}

# Is Fashion-MNIST where the main job looks? The search of src/data/locate.rs without --data
# (which setup cannot know): $ATROPHY_DATA, the cache, /usr/share/datasets; a root R holds the
# data set when R or R/fashion-mnist has train-images-idx3-ubyte, gzipped or not.
fashion_mnist_found() {
  local root dir
  for root in ${ATROPHY_DATA:+"$ATROPHY_DATA"} "$(atrophy_cache)" /usr/share/datasets; do
    for dir in "$root" "$root/fashion-mnist"; do
      if [ -f "$dir/train-images-idx3-ubyte" ] || [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
        return 0
      fi
    done
  done
  return 1
}

apt_install_fashion_mnist() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
}

setup_data() {
  fashion_mnist_found && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: Fashion-MNIST not found; installing Debian's dataset-fashion-mnist ..." >&2
    local log=${TMPDIR:-/tmp}/atrophy-setup-apt.log
    # Without `apt-get update` first (fast when the package lists are fresh); when the package
    # is unknown or its download fails, update the lists once and try again.
    if { apt_install_fashion_mnist || { apt-get update -qq && apt_install_fashion_mnist; }; } >"$log" 2>&1 \
      && fashion_mnist_found; then
      echo "setup: Fashion-MNIST installed in /usr/share/datasets/fashion-mnist" >&2
      return 0
    fi
    echo "setup: installing dataset-fashion-mnist failed (see $log); the main job will download Fashion-MNIST (about 30 MB) into $(atrophy_cache) on its first run (or pass --data PATH)" >&2
    return 0
  fi
  echo "setup: Fashion-MNIST not found; the main job will download it (about 30 MB) into $(atrophy_cache) on its first run (to avoid that: apt-get install dataset-fashion-mnist as root, or --data PATH)" >&2
}

setup_torch
setup_data || true
