"""Production gunicorn settings for quotebot: `gunicorn -c gunicorn.conf.py`.

Every worker is a full copy of the API (its own embedding model and Chroma client), so run it against a Chroma
server (QUOTEBOT_STORE__URL=http://host:port): an embedded index folder must not be opened by several processes.
Each setting can be overridden from the environment (GUNICORN_* below) or on the command line.
"""

from __future__ import annotations

import os

from bot.logs import logging_config

# The app factory: settings come from config/default.toml and QUOTEBOT_<SECTION>__<KEY> variables.
wsgi_app = "bot:create_app()"

# Address to listen on; loopback by default, put a reverse proxy (TLS, buffering) in front of it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")

# Worker processes. Each holds the model (~100 MB) and runs its embeddings on the CPU: about one per core.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))

# Threads per worker. Needed for SSE (`Accept: text/event-stream` on /ask keeps a connection open while it
# streams) and to overlap requests waiting on Chroma; torch releases the GIL while it encodes.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Seconds a request may run before the worker is killed and restarted. An /ask takes well under a second, but an
# ingest through POST /articles embeds every chunk and statement in the request, so leave room for large batches.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# Seconds a worker gets to finish its requests on SIGTERM/SIGHUP before it is killed.
graceful_timeout = 30
# Seconds an idle keep-alive connection is held open (behind a proxy that reuses connections).
keepalive = 5

# Logging as one dictConfig (bot/logs.py): the app's access lines (logger "quotebot.access", one JSON object per
# request: request id, route, status, latency; never keys or article text) go to stdout, and nothing else does;
# gunicorn's and the app's messages go to stderr. gunicorn's own access log is off, so each request is logged once.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
logconfig_dict = logging_config(loglevel.upper())

# Request-head limits, enforced by gunicorn before the app sees the request (gunicorn answers with its own plain
# error page, not problem+json). Longest request line (method, path and query string): a longer one gets 414.
limit_request_line = 4094
# Most header fields in one request: more get 431.
limit_request_fields = 100
# Longest single header field (name and value), in bytes: a longer one gets 431.
limit_request_field_size = 8190

# False: each worker imports the app and builds its own model and Chroma client after the fork. With preloading,
# the master would build them once and fork them into the workers, and neither survives a fork safely: torch's
# thread pools and the Chroma client's HTTP connection pool (or an embedded index's SQLite handle) would be shared
# by several processes. It also means `kill -HUP` reloads code and settings in fresh workers.
preload_app = False

# Recycle a worker after this many requests (with jitter, so they do not all restart at once) to cap slow leaks.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 50
