"""Long-running commands: the development server and the ingest-queue worker."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import UsageError, cli_settings


def serve(args: argparse.Namespace) -> int:
    """`quotebot serve`: run the development server."""
    from bot import create_app, logs

    logs.configure()  # before the app exists, so its access lines (JSON, stdout) are set up like gunicorn's
    app = create_app()
    server = app.extensions["quotebot"].settings.server
    host, port = args.host or server.host, args.port or server.port
    # The development server's own banner is silenced with its access lines: say where we listen.
    print(f"quotebot: serving on http://{host}:{port} (development server; Ctrl+C stops)", file=sys.stderr)
    # werkzeug directly: app.run() would print Flask's banner on stdout, which carries only JSON access lines.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)
    return 0


def worker(args: argparse.Namespace) -> int:
    """`quotebot worker`: take ingest jobs from the queue until stopped."""
    settings = cli_settings()
    if not settings.jobs.redis_url:
        raise UsageError(
            "set jobs.redis_url to the queue's Redis, e.g. QUOTEBOT_JOBS__REDIS_URL=redis://127.0.0.1:6379/2"
        )
    from bot.jobs import run_worker
    from bot.services import build_services

    run_worker(build_services(settings), burst=args.burst)
    return 0
