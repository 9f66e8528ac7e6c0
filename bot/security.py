"""API keys (from the environment only, compared in constant time) and per-client rate limits."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from flask import Flask, current_app, request

from bot.errors import ApiError, Unauthorized
from bot.openapi import ROUTES
from bot.settings import Settings
from retrieval.errors import ConfigError

KEYS_ENV = "QUOTEBOT_API_KEYS"
# Flask's own /static/<file>: the widget's assets, no stored content. Every other public route says auth="none" where
# it is declared (bot/routing.py); anything not declared needs a key like a read.
PUBLIC_UNDECLARED = frozenset({"static"})


class Forbidden(ApiError):
    """A key was given but is not one of ours."""

    status, title, slug = 403, "Forbidden", "forbidden"


class ApiKeys:
    """The set of accepted keys; never logged, never echoed."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [k.encode() for k in keys if k]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiKeys:
        """Read comma-separated keys from QUOTEBOT_API_KEYS."""
        env = os.environ if environ is None else environ
        return cls([k.strip() for k in env.get(KEYS_ENV, "").split(",")])

    def check(self, header: str | None) -> None:
        """Raise 401 for a missing or malformed key, 403 for a wrong one."""
        scheme, _, token = (header or "").strip().partition(" ")
        # The auth scheme is case-insensitive (RFC 9110 11.1): "bearer" and "BEARER" are "Bearer".
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "send an API key as 'Authorization: Bearer <key>'",
                headers={"WWW-Authenticate": 'Bearer realm="quotebot"'},
            )
        if not self._keys:
            raise Forbidden(f"this server accepts no keys: set {KEYS_ENV} on the server to enable writes")
        given = token.strip().encode()
        # Compare against every key so the time taken does not reveal which prefix matched.
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(given, key)
        if not matched:
            raise Forbidden("the API key is not valid")


def keys() -> ApiKeys:
    """Return the app's keys."""
    found: ApiKeys = current_app.extensions["quotebot_keys"]
    return found


def guard(app: Flask, settings: Settings) -> None:
    """Check the key of every request by its route's declared auth; a route not declared public is guarded."""
    auth = {route.endpoint: route.auth for route in ROUTES} | dict.fromkeys(PUBLIC_UNDECLARED, "none")
    reads_need_key = settings.server.require_key_for_reads

    @app.before_request
    def _check_key() -> None:
        # A CORS preflight carries no credentials by design; an unrouted request gets its 404/405 next.
        if request.method == "OPTIONS" or request.url_rule is None:
            return
        needs = auth.get(request.endpoint or "", "reads")
        if needs == "key" or (needs == "reads" and reads_need_key):
            keys().check(request.headers.get("Authorization"))


def init_app(app: Flask, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Install the keys, the key check on every route and the rate limit on every route declared limited."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app.extensions["quotebot_keys"] = ApiKeys.from_env(environ)
    guard(app, settings)
    server = settings.server
    hops = server.trusted_proxies
    if hops < 0:
        raise ConfigError(f"server.trusted_proxies is {hops}; use 0 (no proxy) or the number of proxies in front")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # remote_addr, which the limits key on and the access log records, becomes the client the proxies saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    rate = server.rate_limit
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=server.rate_limit_storage,
        headers_enabled=True,
        enabled=bool(rate),
        # A broken limiter store must not take the API down: count in memory until it returns.
        in_memory_fallback_enabled=True,
        key_prefix=settings.store.prefix,
    )
    if rate:  # the routes are registered first (bot.openapi.register), so their views can be wrapped here
        for route in ROUTES:
            if route.limited:
                view = app.view_functions[route.endpoint]
                app.view_functions[route.endpoint] = limiter.limit(rate)(view)  # type: ignore[assignment]
