#!/usr/bin/env bash
# Installs everything the test suite needs (virtual environment, Python packages, Debian's
# Chromium, npm tools for the browser fixtures and the extension linter), then runs pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not e2e"`.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Postguard needs Python 3.11 or newer as '$python' (set PYTHON=... to choose another)." >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv || { echo "Cannot create a virtual environment: on Debian/Ubuntu run 'apt-get install -y python3-venv'." >&2; exit 2; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

bash tests/e2e/setup.sh

.venv/bin/python -m pytest "$@"
