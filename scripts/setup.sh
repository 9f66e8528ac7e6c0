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
else
  pip install -q -e .
fi
python -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch got installed'; print('torch', torch.__version__)"
