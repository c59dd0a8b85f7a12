#!/usr/bin/env bash
# Creates the project-local Python environment that carries libtorch (PyPI wheel torch==2.13.0,
# the exact version tch 0.26 binds) when it is missing, and links it at .venv/libtorch, where
# .cargo/config.toml points the build. Idempotent: a second call returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0
if [ -e .venv/libtorch/lib/libtorch_cpu.so ] && [ -e .venv/.torch-$TORCH_VERSION ]; then
  exit 0
fi
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "setup: $PY not found; install Python 3.9+ (or set PYTHON=...)" >&2; exit 1; }
echo "setup: creating .venv with torch==$TORCH_VERSION (about 5 GB, CUDA libraries included) ..." >&2
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install --disable-pip-version-check --no-cache-dir -q "torch==$TORCH_VERSION"
torch_dir=$(.venv/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)
ln -sfn "$torch_dir" .venv/libtorch
touch .venv/.torch-$TORCH_VERSION
echo "setup: libtorch at $torch_dir" >&2
