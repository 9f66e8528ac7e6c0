"""quotebot's HTTP layer: one factory that wires settings, services and the API blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing bot (e.g. the pytest plugin) must stay cheap: heavy imports happen in create_app
    from flask import Flask

    from bot.services import Services


def create_app(config: Mapping[str, Any] | None = None, *, services: Services | None = None) -> Flask:
    """Build the app: settings from config/default.toml, the environment and `config`; services built once."""
    from flask import Flask

    from bot import errors, logs, openapi, routing, security, web
    from bot.services import build_services
    from bot.settings import load_settings

    settings = services.settings if services is not None else load_settings(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes
    app.json = routing.JSONProvider(app)
    app.extensions["quotebot"] = services if services is not None else build_services(settings)
    errors.register(app)
    logs.init_app(app)
    openapi.register(app)  # every route, each declared once with its key rule, limit and CORS (bot/routing.py)
    security.init_app(app, settings)  # after the routes: it wraps the limited ones
    web.init_app(app, settings.server.cors_origins, openapi.ROUTES)
    return app
