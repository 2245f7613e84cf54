#!/usr/bin/env bash
# Pitboard's test suite: installs into .venv-test (with the dev tools) and runs lint, types and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/data ]; then
  echo "The real race data is expected in ../shared/data (beside this checkout)." >&2
  exit 1
fi
python3 -m venv .venv-test
.venv-test/bin/python -m pip install --quiet --upgrade pip
.venv-test/bin/python -m pip install --quiet -e ".[dev]"
.venv-test/bin/ruff check .
.venv-test/bin/mypy bot storage handlers
.venv-test/bin/lint-imports
exec .venv-test/bin/python -m pytest -q "$@"
