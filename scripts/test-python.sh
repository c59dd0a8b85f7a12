#!/usr/bin/env bash
# Builds the Python package (python/, PyO3 + maturin, no libtorch) into a throwaway virtual
# environment and runs its tests (pytest, against numpy and scipy). The environment is removed
# afterwards; nothing is installed outside it. Part of the README's test command.
#
#   scripts/test-python.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
command -v "$py" >/dev/null || { echo "test-python: $py not found; install Python 3.9+ (or set PYTHON=...)" >&2; exit 1; }
env_dir=$(mktemp -d "${TMPDIR:-/tmp}/atrophy-pytest.XXXXXX")
trap 'rm -rf "$env_dir"' EXIT
"$py" -m venv "$env_dir"
pip() { "$env_dir/bin/pip" --disable-pip-version-check -q "$@"; }
echo "test-python: building the package (pip install ./python) ..." >&2
pip install "./python[test]"
# From the repository root, so that `import atrophy` is the installed package, not python/atrophy.
"$env_dir/bin/python" -m pytest -q python/tests "$@"
