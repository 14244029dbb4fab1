#!/usr/bin/env bash
# Set up everything the tests need (Chromium for the browser tests, the test extras), lint, test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
# llama-cpp-python (the local LLM server of the LLM-mode tests) compiles from source; build it
# for portable x86-64 (AVX2) rather than this CPU's newest extensions, which some VMs fault on.
if [ "$(uname -m)" = "x86_64" ]; then
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
fi
bash scripts/setup.sh test,llm-test
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
