#!/usr/bin/env bash
# Set up, then serve the API and UI on http://127.0.0.1:8000 (builds the index first if there is none).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/casegraph serve "$@"
