#!/usr/bin/env bash
# Pitboard's test suite: installs into .venv-test (with the dev tools) and runs lint, types and pytest.
# The stores are SQLite files; PITBOARD_TEST_DATABASE=postgresql (with PITBOARD_TEST_POSTGRES_URL naming a
# server) runs the same tests on PostgreSQL databases instead (tests/databases.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/data ]; then
  echo "The real race data is expected in ../shared/data (beside this checkout)." >&2
  exit 1
fi
# PITBOARD_TEST_PYTEST_ONLY=1: pytest alone, for .ci/run's second pass (on PostgreSQL) — the install and the
# lint steps do not depend on the database and ran in the first.
if [ "${PITBOARD_TEST_PYTEST_ONLY:-}" != 1 ]; then
  python3 -m venv .venv-test
  .venv-test/bin/python -m pip install --quiet --upgrade pip
  .venv-test/bin/python -m pip install --quiet -e ".[dev]"
  .venv-test/bin/ruff check .
  .venv-test/bin/mypy bot storage handlers
  .venv-test/bin/lint-imports
fi
exec .venv-test/bin/python -m pytest -q "$@"
