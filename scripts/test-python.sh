#!/usr/bin/env bash
# Builds the Python package (python/, PyO3 + maturin, no libtorch) into a throwaway virtual
# environment and runs its tests (pytest: the kernels against numpy and scipy; load, run, script
# and the example notebook against the `atrophy` binary and torch). The environment is removed
# afterwards; nothing is installed outside it. Part of the README's test command.
#
# torch comes from the project's .venv (scripts/setup.sh), put on the environment's path by a
# .pth file rather than installed a second time; the binary is target/debug/atrophy, which
# `cargo test` has built (built here if missing), or $ATROPHY_BIN. ATROPHY_TEST_STRICT=1 makes
# a test that lacks either fail rather than skip.
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
purelib() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
pyver() { "$1" -c 'import sys; print(sys.version_info[:2])'; }
if [ -x .venv/bin/python ] && [ "$(pyver .venv/bin/python)" = "$(pyver "$env_dir/bin/python")" ]; then
  purelib .venv/bin/python > "$(purelib "$env_dir/bin/python")/zz-atrophy-torch.pth"
fi
if [ -z "${ATROPHY_BIN:-}" ]; then
  cargo build -q --bin atrophy   # nothing to do after `cargo test`
  export ATROPHY_BIN="$PWD/target/debug/atrophy"
fi
export ATROPHY_TEST_STRICT=1
# From the repository root, so that `import atrophy` is the installed package, not python/atrophy.
"$env_dir/bin/python" -m pytest -q python/tests "$@"
