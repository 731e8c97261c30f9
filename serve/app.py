"""The read-only DevLens API: FastAPI over the published serving store."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response

from pipelines.calendar import PeriodCalendar
from pipelines.config import config_path

from .auth import ConfigWatcher
from .context import NotModified
from .errors import install_error_handlers
from .routes import analytics, dashboard, insights, intelligence, predictions, reports, service, settings
from .schemas import Health, Ready
from .store import ServingStore

log = logging.getLogger("devlens.api")

DESCRIPTION = """\
Read-only access to the engineering metrics DevLens has computed and
published. Every route is `GET` (and `HEAD`); send `Authorization: Bearer
<key>`. Errors are `{"error": {"code", "message"}}`. Each response names the
data version it was served from in `X-DevLens-Data-Version` and carries an
`ETag`; send it back in `If-None-Match` for a 304.
"""


class HeadAsGet:
    """Answer HEAD wherever GET is answered: run GET, send headers only."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        scope = dict(scope, method="GET")

        async def send_headers_only(message):
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        return await self.app(scope, receive, send_headers_only)


class AccessLog:
    """One log line per request: method, path, status, latency, data version.

    Plain ASGI (no BaseHTTPMiddleware task per request). Never logs headers
    or the query string, so no key can reach the log.
    """

    def __init__(self, app):
        self.app = app
        if not log.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            log.propagate = False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        seen = {"status": 500, "version": "-"}

        async def record(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for k, v in message.get("headers", ()):
                    if k == b"x-devlens-data-version":
                        seen["version"] = v.decode()
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            ms = (time.perf_counter() - started) * 1000
            # unicode_escape: a %0A or %00 in a path cannot forge or break a log line
            path = scope["path"].encode("unicode_escape", "backslashreplace").decode("ascii")
            log.info("%s %s %d %.1fms v=%s", scope["method"], path, seen["status"], ms, seen["version"])


def create_app(config_file: str | Path | None = None) -> FastAPI:
    path = Path(config_file) if config_file else config_path()
    config = ConfigWatcher(path)
    cfg = config.cfg
    app = FastAPI(
        title="DevLens API",
        version="1",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "developer-insights", "description": "Per-developer, team and workspace snapshots"},
            {"name": "settings", "description": "The configuration in force: settings, working schedules, alert rules; "
             "and the alert rules evaluated"},
            {"name": "predictions", "description": "Cached predictions computed by the predictions assets"},
            {"name": "reports", "description": "Report definitions, widget data, templates, schedules, exports"},
            {"name": "dashboard", "description": "Persona presets and the widget registry (static)"},
            {"name": "service", "description": "Liveness and readiness"},
        ],
    )
    app.state.config = config
    app.state.calendar = PeriodCalendar.from_config(cfg)
    app.state.store = ServingStore(cfg.resolve(cfg.warehouse.serving_dir))
    install_error_handlers(app)

    @app.exception_handler(NotModified)
    async def _not_modified(request, exc: NotModified):
        return Response(status_code=304, headers=exc.headers)

    app.add_middleware(GZipMiddleware, minimum_size=2048)
    if cfg.api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.api.cors_origins), allow_methods=["GET", "HEAD"],
                           allow_headers=["Authorization", "If-None-Match"],
                           expose_headers=["ETag", "X-DevLens-Data-Version"])

    @app.get("/healthz", response_model=Health, tags=["service"], summary="The process is up")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", response_model=Ready, tags=["service"], summary="A published data version is loaded",
             responses={503: {"model": Ready, "description": "nothing published yet"}})
    def readyz():
        store: ServingStore = app.state.store
        if not store.ready:
            return JSONResponse({"status": "not_ready", "data_version": None}, status_code=503)
        with store.snapshot() as snap:
            return {"status": "ready", "data_version": snap.version}

    app.include_router(insights.router)
    for module in (service, settings, predictions, reports, dashboard, intelligence, analytics):
        app.include_router(module.router)
    app.add_middleware(HeadAsGet)
    app.add_middleware(AccessLog)
    return app

