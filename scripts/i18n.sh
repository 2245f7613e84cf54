#!/usr/bin/env bash
# After changing user-facing text: extract the messages and merge them into the German catalog,
# then translate the new empty entries in bot/locales/de/LC_MESSAGES/pitboard.po.
set -euo pipefail
cd "$(dirname "$0")/.."
"${PYBABEL:-.venv/bin/pybabel}" extract -F babel.cfg --no-location --sort-output -o bot/locales/pitboard.pot bot handlers
"${PYBABEL:-.venv/bin/pybabel}" update -i bot/locales/pitboard.pot -d bot/locales -D pitboard --no-fuzzy-matching
