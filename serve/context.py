"""Per-request plumbing: the key's workspace, the pinned data version, the period."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Iterator

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pipelines.calendar import Period, PeriodCalendar

from .auth import workspaces_for
from .errors import ApiError
from .store import CacheMiss, NotPublished, Snapshot


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
            latest = self.latest_partition(asset)
            if latest is None:
                raise ApiError(404, f"no {period_type} period has been computed yet: materialize {asset}")
            return self.calendar.period(period_type, latest)
        period = self.boundary(period_type, period_start)
        if self.computed_at(asset, period) is None:
            raise ApiError(
                404, f"{period_type} period {period.key} is not computed yet: materialize partition {period.key} of {asset}"
            )
        return period

    def boundary(self, period_type: str, period_start: date) -> Period:
        """The period starting at ``period_start``; 400 if it is not a period boundary."""
        try:
            return self.calendar.period(period_type, period_start)
        except ValueError as e:
            raise ApiError(400, str(e)) from None
        except OverflowError:
            raise ApiError(400, f"{period_start.isoformat()} is outside the calendar's range") from None

    def ledger(self) -> dict[str, dict[str, object]]:
        """asset key -> {partition key -> computed_at}, once per data version."""
        def load():
            out: dict[str, dict[str, object]] = {}
            if self.snapshot.has("meta.partition_ledger"):
                for r in self.snapshot.rows("select asset_key, partition_key, computed_at from meta.partition_ledger"):
                    out.setdefault(r["asset_key"], {})[r["partition_key"]] = r["computed_at"]
            return out
        return self.snapshot.memo("ledger", load)

    def latest_partition(self, asset: str) -> str | None:
        latest = self.snapshot.memo("latest_partitions", lambda: {a: max(ps) for a, ps in self.ledger().items()})
        return latest.get(asset)

    def computed_at(self, asset: str, period: Period):
        return self.ledger().get(asset, {}).get(period.key)

    def _known(self, relation: str, column: str) -> set[tuple[str, str]]:
        # relation and column are fixed names chosen by the callers below, never request input.
        def load():
            if not self.snapshot.has(relation):
                return set()
            return {(r["w"], r["k"]) for r in self.snapshot.rows(f"select workspace_id as w, {column} as k from {relation}")}
        return self.snapshot.memo(("known", relation), load)

    def require_developer(self, developer_id: str) -> str:
        dev = developer_id.strip().lower()
        if (self.workspace_id, dev) not in self._known("staging.stg_developers", "developer_id"):
            raise ApiError(404, f"developer {developer_id!r} not found in workspace {self.workspace_id!r}")
        return dev

    def require_team(self, team_id: str) -> str:
        team = team_id.strip().lower()
        if (self.workspace_id, team) not in self._known("staging.stg_teams", "team_id"):
            raise ApiError(404, f"team {team_id!r} not found in workspace {self.workspace_id!r}")
        return team

    def require_table(self, relation: str, asset: str, what: str) -> None:
        """404 naming the asset to materialize when a table is not in this data version."""
        if not self.snapshot.has(relation):
            raise ApiError(
                404, f"{what} not published yet: materialize the asset {asset} (table {relation}); "
                "the next publish serves it"
            )


def check_workspace(request: Request, workspace_id: str) -> None:
    cfg = request.app.state.config.cfg
    allowed = workspaces_for(request.headers.get("authorization"), cfg)
    if workspace_id not in allowed or workspace_id not in {w.id for w in cfg.workspaces}:
        raise ApiError(404, f"workspace {workspace_id!r} not found")


def etag_for(version: int, request: Request, extra: str = "") -> str:
    """Derived from the data version and the request (and ``extra``: what else the answer depends on)."""
    # The raw query string: the same parameters in another order only make another ETag.
    query = request.scope.get("query_string", b"")
    digest = hashlib.sha256(b"%d|%s|%s|%s" % (version, request.scope["path"].encode(), query,
                                               extra.encode())).hexdigest()[:20]
    return f'W/"v{version}-{digest}"'


def iso_z(value) -> str | None:
    """A naive UTC datetime as ISO 8601 with 'Z'."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


class NotModified(Exception):
    def __init__(self, headers: dict):
        self.headers = headers


@contextmanager
def scoped(request: Request, workspace_id: str, etag_extra: str = "") -> Iterator[RequestScope]:
    """Authorize, pin one data version, and answer 304 when the client has it.

    ``etag_extra`` names what else than the data version the answer depends
    on (e.g. a digest of the alert rules in the live config).
    """
    check_workspace(request, workspace_id)
    try:
        with request.app.state.store.snapshot() as snap:
            etag = etag_for(snap.version, request, etag_extra)
            headers = {"ETag": etag, "X-DevLens-Data-Version": str(snap.version), "Cache-Control": CACHE_CONTROL}
            if request.headers.get("if-none-match") in (etag, "*"):
                raise NotModified(headers)
            scope = RequestScope(workspace_id, snap, request.app.state.calendar, headers)
            yield scope
    except NotPublished as e:
        raise ApiError(503, str(e)) from None


CACHE_CONTROL = "private, max-age=0, must-revalidate"


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return jsonable_encoder(value)


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` without the ``jsonable_encoder`` walk: the stdlib encoder
    in C, with dates, Decimals and anything else FastAPI knows handled on the side."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                          default=_json_default).encode("utf-8")


def respond(scope: RequestScope, body: dict) -> JSONResponse:
    return FastJSONResponse(body, headers=scope.headers)


async def in_memory_first(scope: RequestScope, fn, *args):
    """``fn(scope, *args)`` on the event loop when all it reads is in memory, else in the threadpool.

    First try with the snapshot in memory-only mode: the version's memos and
    row cache answer, anything that would read the file raises CacheMiss.
    On a miss the same (side-effect free) function runs again in a worker
    thread, where it reads the file and fills the caches. Hot lookups so
    skip the thread hop and the GIL hand-offs that come with it.
    """
    snap = scope.snapshot
    snap.io_allowed = False
    try:
        return fn(scope, *args)
    except CacheMiss:
        pass
    finally:
        snap.io_allowed = True
    return await run_in_threadpool(fn, scope, *args)
