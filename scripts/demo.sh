#!/usr/bin/env bash
# Set up, ingest seeds/ into the embedded index, print a sample request, and serve the API and demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
quotebot ingest seeds/
host=${QUOTEBOT_SERVER__HOST:-127.0.0.1}
port=${QUOTEBOT_SERVER__PORT:-5000}
cat <<MSG

quotebot is serving on http://$host:$port (demo page at /). Try:
  curl -s http://$host:$port/ask -H 'Content-Type: application/json' -d '{"question": "what did Kirby say?"}'
MSG
exec quotebot serve --host "$host" --port "$port"
