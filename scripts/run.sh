#!/usr/bin/env bash
# Pitboard, offline: installs into .venv, imports the real seasons, shows standings and results.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
export PITBOARD_DATABASE="${PITBOARD_DATABASE:-./pitboard.db}"
exec .venv/bin/pitboard demo "$@"
