"""Developer insights (``/workspaces/{workspace_id}/insights``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ..context import iso_z, respond, scoped
from ..errors import ERROR_RESPONSES
from ..schemas import CATEGORY_MODELS, PeriodType, VelocityResponse

router = APIRouter(prefix="/workspaces/{workspace_id}/insights", tags=["developer-insights"])

WorkspaceId = Annotated[str, Path(description="The workspace id from devlens.yaml", max_length=100)]
DeveloperId = Annotated[
    str, Path(description="A GitHub login, or an email for an unlinked identity; case-insensitive", max_length=320)
]
PeriodTypeQ = Annotated[PeriodType, Query(description="daily | weekly | biweekly | monthly")]
PeriodStartQ = Annotated[
    date | None,
    Query(description="ISO date of a period start for the period type; default: the latest computed period"),
]

CATEGORY_TABLES = {"velocity": "developer_velocity"}


def category_metrics(scope, category: str, developer_id: str, period) -> dict:
    """The category's metric keys for one developer and period (zeros without a row)."""
    keys = list(CATEGORY_MODELS[category].model_fields)
    relation = f"{period.period_type}.{CATEGORY_TABLES[category]}"
    row = scope.snapshot.one(
        f"select {', '.join(keys)} from {relation} "
        "where workspace_id = ? and developer_id = ? and period_start = ?",
        [scope.workspace_id, developer_id, period.start],
    )
    if row is None:
        fields = CATEGORY_MODELS[category].model_fields
        row = {k: (0 if fields[k].annotation is int else 0.0) for k in keys}
    return row


def developer_category(request: Request, workspace_id: str, developer_id: str, category: str,
                       period_type: PeriodType, period_start: date | None):
    with scoped(request, workspace_id) as scope:
        relation = f"{period_type.value}.{CATEGORY_TABLES[category]}"
        period = scope.period(period_type.value, period_start, relation)
        dev = scope.require_developer(developer_id)
        body = {
            "workspace_id": workspace_id,
            "developer_id": dev,
            "period_type": period_type.value,
            "period_start": period.start,
            "period_end": period.end,
            "computed_at": iso_z(scope.computed_at(relation.replace(".", "/"), period)),
            "metrics": category_metrics(scope, category, dev, period),
        }
        return respond(scope, body)


@router.get(
    "/developers/{developer_id}/velocity",
    response_model=VelocityResponse,
    responses=ERROR_RESPONSES,
    summary="Velocity of one developer for one period",
    description="Counted commits, merged PRs, lines and rates (METRICS.md §1) for the period. "
    "A known developer without activity in a computed period gets zeros.",
)
def developer_velocity(
    request: Request,
    workspace_id: WorkspaceId,
    developer_id: DeveloperId,
    period_type: PeriodTypeQ = PeriodType.weekly,
    period_start: PeriodStartQ = None,
):
    return developer_category(request, workspace_id, developer_id, "velocity", period_type, period_start)
