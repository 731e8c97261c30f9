"""Sync status (``/workspaces/{workspace_id}/insights/sync-status``): how fresh
the served data is, per asset and period type."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ..context import RequestScope, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES
from ..params import WorkspaceId
from ..schemas import PeriodType

router = APIRouter(prefix="/workspaces/{workspace_id}/insights", tags=["developer-insights"])

SYNC_STATUS = "meta.sync_status"
LEDGER = "meta.partition_ledger"


class AssetSync(BaseModel):
    asset: str = Field(description="the period asset, '<period_type>/<model>'")
    period_type: PeriodType
    latest_partition: date = Field(description="start of the latest computed period")
    computed_at: datetime | None = Field(description="when that partition was computed (UTC)")
    lag_hours: float | None = Field(
        description="hours from the end of the latest computed period to the publish that serves it")


class SyncStatus(BaseModel):
    workspace_id: str
    data_version: int = Field(description="the publish that served this answer")
    published_at: datetime | None = Field(description="when that publish happened (UTC)")
    last_ingest_at: datetime | None = Field(description="the last ingest that changed data, when known")
    assets: list[AssetSync]


def _published_at(scope: RequestScope):
    if not scope.snapshot.has("meta.data_version"):
        return None
    return scope.snapshot.scalar("select published_at from meta.data_version")


def _from_sync_status(scope: RequestScope, period_type: str | None) -> tuple[object, list[dict]]:
    rows = scope.snapshot.rows(
        "select asset, period_type, latest_partition, computed_at, last_ingest_at, lag_hours from meta.sync_status "
        "where workspace_id = ? and (cast(? as varchar) is null or period_type = ?) order by period_type, asset",
        [scope.workspace_id, period_type, period_type],
    )
    last_ingest = max((r["last_ingest_at"] for r in rows if r["last_ingest_at"] is not None), default=None)
    return last_ingest, rows


def _from_ledger(scope: RequestScope, period_type: str | None, published_at) -> list[dict]:
    """Without ``meta.sync_status`` (an older publish): the same figures from the ledger.

    The ledger has no workspace column: every workspace shares the partitions.
    """
    if not scope.snapshot.has(LEDGER):
        return []
    rows = scope.snapshot.rows(
        "select asset_key as asset, period_type, max(partition_key) as latest_partition, "
        "arg_max(computed_at, partition_key) as computed_at from meta.partition_ledger "
        "where (cast(? as varchar) is null or period_type = ?) group by 1, 2 order by period_type, asset",
        [period_type, period_type],
    )
    for r in rows:
        lag = None
        if published_at is not None:
            end = scope.calendar.period(r["period_type"], r["latest_partition"]).end
            lag = (published_at - datetime(end.year, end.month, end.day)).total_seconds() / 3600
        r["lag_hours"] = lag
    return rows


@router.get("/sync-status", response_model=SyncStatus, responses=ERROR_RESPONSES,
            summary="Per asset and period type: the latest computed partition, last ingest, lag",
            description="Read from the published `meta.sync_status` table, or, in a data version without it, "
            "computed from the partition ledger (then `last_ingest_at` is null).")
def sync_status(request: Request, workspace_id: WorkspaceId,
                period_type: Annotated[PeriodType | None, Query(description="only assets of this period type")] = None):
    pt = period_type.value if period_type else None
    with scoped(request, workspace_id) as scope:
        published_at = _published_at(scope)
        if scope.snapshot.has(SYNC_STATUS):
            last_ingest, rows = _from_sync_status(scope, pt)
        else:
            last_ingest, rows = None, _from_ledger(scope, pt, published_at)
        assets = [{"asset": r["asset"], "period_type": r["period_type"],
                   "latest_partition": r["latest_partition"], "computed_at": iso_z(r["computed_at"]),
                   "lag_hours": r["lag_hours"]} for r in rows]
        body = {"workspace_id": workspace_id, "data_version": scope.snapshot.version,
                "published_at": iso_z(published_at), "last_ingest_at": iso_z(last_ingest), "assets": assets}
        return respond(scope, body)
