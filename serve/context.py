"""Per-request plumbing: the key's workspace, the pinned data version, the period."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from pipelines.calendar import Period, PeriodCalendar

from .auth import workspaces_for
from .errors import ApiError
from .store import NotPublished, Snapshot


@dataclass
class RequestScope:
    workspace_id: str
    snapshot: Snapshot
    calendar: PeriodCalendar
    headers: dict = field(default_factory=dict)

    def period(self, period_type: str, period_start: date | None, relation: str) -> Period:
        """The requested period, or the latest present in ``relation``.

        400 if ``period_start`` is not a boundary; 404 naming the partition to
        materialize if it has not been computed.
        """
        asset = relation.replace(".", "/")
        if period_start is None:
            latest = None
            if self.snapshot.has("meta.partition_ledger"):
                latest = self.snapshot.scalar(
                    "select max(partition_key) from meta.partition_ledger where asset_key = ?", [asset]
                )
            if latest is None:
                raise ApiError(404, f"no {period_type} period has been computed yet: materialize {asset}")
            return self.calendar.period(period_type, latest)
        try:
            period = self.calendar.period(period_type, period_start)
        except ValueError as e:
            raise ApiError(400, str(e)) from None
        if self.computed_at(asset, period) is None:
            raise ApiError(
                404, f"{period_type} period {period.key} is not computed yet: materialize partition {period.key} of {asset}"
            )
        return period

    def computed_at(self, asset: str, period: Period):
        if not self.snapshot.has("meta.partition_ledger"):
            return None
        return self.snapshot.scalar(
            "select computed_at from meta.partition_ledger where asset_key = ? and partition_key = ?",
            [asset, period.key],
        )

    def require_developer(self, developer_id: str) -> str:
        dev = developer_id.strip().lower()
        known = self.snapshot.has("staging.stg_developers") and self.snapshot.scalar(
            "select 1 from staging.stg_developers where workspace_id = ? and developer_id = ?",
            [self.workspace_id, dev],
        )
        if not known:
            raise ApiError(404, f"developer {developer_id!r} not found in workspace {self.workspace_id!r}")
        return dev


def check_workspace(request: Request, workspace_id: str) -> None:
    cfg = request.app.state.config.cfg
    allowed = workspaces_for(request.headers.get("authorization"), cfg)
    if workspace_id not in allowed or workspace_id not in {w.id for w in cfg.workspaces}:
        raise ApiError(404, f"workspace {workspace_id!r} not found")


def etag_for(version: int, request: Request) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    digest = hashlib.sha256(f"{version}|{request.url.path}|{query}".encode()).hexdigest()[:20]
    return f'W/"v{version}-{digest}"'


def iso_z(value) -> str | None:
    """A naive UTC datetime as ISO 8601 with 'Z'."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


class NotModified(Exception):
    def __init__(self, headers: dict):
        self.headers = headers


@contextmanager
def scoped(request: Request, workspace_id: str) -> Iterator[RequestScope]:
    """Authorize, pin one data version, and answer 304 when the client has it."""
    check_workspace(request, workspace_id)
    try:
        with request.app.state.store.snapshot() as snap:
            etag = etag_for(snap.version, request)
            headers = {"ETag": etag, "X-DevLens-Data-Version": str(snap.version), "Cache-Control": CACHE_CONTROL}
            if request.headers.get("if-none-match") in (etag, "*"):
                raise NotModified(headers)
            scope = RequestScope(workspace_id, snap, request.app.state.calendar, headers)
            yield scope
    except NotPublished as e:
        raise ApiError(503, str(e)) from None


CACHE_CONTROL = "private, max-age=0, must-revalidate"


def respond(scope: RequestScope, body: dict) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), headers=scope.headers)
