#!/usr/bin/env bash
# Create .venv (if missing) and install casegraph into it, with optional extras: setup.sh test,llm-test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# torch is pinned to the CPU build (2.13.0) in pyproject.toml; install it first, on its own.
.venv/bin/python -m pip install --quiet "torch==2.13.0"
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet -e ".[${extras}]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
# Export the embedding model for ONNX Runtime once, so commands and servers never import torch.
.venv/bin/casegraph prepare
