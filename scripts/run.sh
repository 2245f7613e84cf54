#!/usr/bin/env bash
# Pitboard: installs into .venv and runs the bot. With no TELEGRAM_BOT_TOKEN (environment or .env) it runs
# the offline demo: the real bot against the local Bot API stand-in, chatting in this console.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ] || grep -qs '^TELEGRAM_BOT_TOKEN=.\+' .env; then
  exec .venv/bin/pitboard run
fi
exec .venv/bin/pitboard demo "$@"
