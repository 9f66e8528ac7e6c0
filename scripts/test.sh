#!/usr/bin/env bash
# Set up everything and run the whole suite: lint, types, and pytest against the embedded store and a
# real `chroma run` server on loopback. Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/system-deps.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False

echo "== ruff"; ruff check bot retrieval tests benchmarks
echo "== mypy"; mypy

work=$(mktemp -d)
# a free port unless one is given: two runs on one machine must never share (and so kill) one server
free_port() { python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
port=${QUOTEBOT_TEST_CHROMA_PORT:-$(free_port)}
chroma run --path "$work/chroma" --host 127.0.0.1 --port "$port" >"$work/chroma.log" 2>&1 &
chroma_pid=$!
trap 'kill $chroma_pid 2>/dev/null || true; rm -rf "$work"' EXIT
up() { python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/api/v2/heartbeat" 2>/dev/null; }
for _ in $(seq 1 60); do up && break; sleep 0.5; done
# the heartbeat must be our own server's: another process answering on a given port is not it
up && kill -0 $chroma_pid 2>/dev/null || { cat "$work/chroma.log"; echo "chroma server did not start on port $port"; exit 1; }
export QUOTEBOT_TEST_CHROMA_URL="http://127.0.0.1:$port"

echo "== pytest"
set +e
python -m pytest "$@"
code=$?
set -e
if [ $code -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi
exit $code
