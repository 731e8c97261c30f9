"""Predictions (``/workspaces/{workspace_id}/predictions``): the cached
prediction rows the predictions assets computed, never a value made up on
request.

The routes read ``predictions.predictive_insights`` (asset
``predictions/predictive_insights``), one row per generated insight, with
the columns of the product spec's PredictiveInsight cache::

    workspace_id, developer_id (null for a team), team_id (null for a developer),
    insight_type (attrition_risk | burnout_risk | performance_trajectory | team_health),
    risk_score, confidence, risk_level, factors (JSON list), recommendations (JSON list),
    raw_analysis (JSON), data_window_days, generated_by_model, generated_at, expires_at

JSON columns may be DuckDB ``JSON``/``VARCHAR`` (parsed here) or nested
types. Each route answers the most recent row (by ``generated_at``); a row
past ``expires_at`` is still served, with its ``expires_at``, because the
answer depends only on the data version. Until the table is published every
route answers 404 naming the asset to materialize.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ..context import RequestScope, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, paginate
from ..params import CursorQ, DeveloperId, LimitQ, TeamId, WorkspaceId

router = APIRouter(prefix="/workspaces/{workspace_id}/predictions", tags=["predictions"])

TABLE = "predictions.predictive_insights"
ASSET = "predictions/predictive_insights"
COLUMNS = ("workspace_id", "developer_id", "team_id", "insight_type", "risk_score", "confidence", "risk_level",
           "factors", "recommendations", "raw_analysis", "data_window_days", "generated_by_model", "generated_at",
           "expires_at")
JSON_COLUMNS = {"factors": list, "recommendations": list, "raw_analysis": dict}


class Prediction(BaseModel):
    workspace_id: str
    developer_id: str | None = Field(description="the developer the insight is about (null for a team insight)")
    team_id: str | None = Field(description="the team the insight is about (null for a developer insight)")
    insight_type: str = Field(description="attrition_risk | burnout_risk | performance_trajectory | team_health")
    risk_score: float | None = Field(description="0.0-1.0")
    confidence: float | None = Field(description="0.0-1.0")
    risk_level: str | None = Field(description="low | moderate | high | critical")
    factors: list[Any] = Field(description="[{factor, weight, evidence, trend}, ...]")
    recommendations: list[Any]
    raw_analysis: dict[str, Any] | None = Field(description="the model's full answer")
    data_window_days: int | None = Field(description="days of activity the prediction looked at")
    generated_by_model: str | None
    generated_at: datetime | None
    expires_at: datetime | None = Field(description="when the cached prediction is due for a refresh")


class DeveloperPredictions(BaseModel):
    workspace_id: str
    developer_id: str
    items: list[Prediction] = Field(description="the latest prediction of each insight type, by insight_type")
    next_cursor: str | None


def _json(value, kind):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return kind() if kind is list else {"text": value}
    if value is None:
        return kind() if kind is list else None
    return value


def _prediction(scope: RequestScope, row: dict) -> dict:
    out = {c: row.get(c) for c in COLUMNS}
    out["workspace_id"] = scope.workspace_id
    for col, kind in JSON_COLUMNS.items():
        out[col] = _json(out[col], kind)
    out["generated_at"] = iso_z(out["generated_at"])
    out["expires_at"] = iso_z(out["expires_at"])
    return out


def _latest(scope: RequestScope, insight_type: str, subject: str, subject_id: str) -> dict | None:
    # ``subject`` is "developer_id" or "team_id", fixed by the route; values are bound.
    return scope.snapshot.one(
        f"select * from {TABLE} where workspace_id = ? and insight_type = ? and lower({subject}) = ? "
        "order by generated_at desc nulls last limit 1",
        [scope.workspace_id, insight_type, subject_id],
    )


def _developer_route(insight_type: str, what: str):
    def route(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId):
        with scoped(request, workspace_id) as scope:
            scope.require_table(TABLE, ASSET, "predictions are")
            dev = scope.require_developer(developer_id)
            row = _latest(scope, insight_type, "developer_id", dev)
            if row is None:
                raise ApiError(404, f"no {insight_type} prediction for developer {dev!r} yet: materialize {ASSET}")
            return respond(scope, _prediction(scope, row))

    route.__name__ = f"predict_{insight_type}"
    route.__doc__ = what
    return route


for _path, _type, _summary in (
    ("attrition", "attrition_risk", "A developer's attrition risk"),
    ("burnout", "burnout_risk", "A developer's burnout risk (multi-signal; /intelligence/burnout is the GitHub-only detector)"),
    ("trajectory", "performance_trajectory", "A developer's performance trajectory"),
):
    router.add_api_route(
        f"/{_path}/{{developer_id}}", _developer_route(_type, _summary), methods=["GET"], response_model=Prediction,
        responses=ERROR_RESPONSES, summary=_summary, name=f"predict_{_type}",
        description=f"The latest cached `{_type}` prediction for the developer. 404 for an unknown developer, or "
        f"while no such prediction has been computed (the message names the asset to materialize).",
    )


@router.get("/team-health/{team_id}", response_model=Prediction, responses=ERROR_RESPONSES,
            summary="A team's health prediction",
            description="The latest cached `team_health` prediction for the team.")
def team_health(request: Request, workspace_id: WorkspaceId, team_id: TeamId):
    with scoped(request, workspace_id) as scope:
        scope.require_table(TABLE, ASSET, "predictions are")
        team = scope.require_team(team_id)
        row = _latest(scope, "team_health", "team_id", team)
        if row is None:
            raise ApiError(404, f"no team_health prediction for team {team!r} yet: materialize {ASSET}")
        return respond(scope, _prediction(scope, row))


@router.get("/insights/{developer_id}", response_model=DeveloperPredictions, responses=ERROR_RESPONSES,
            summary="Every cached prediction of a developer",
            description="The latest prediction of each insight type for the developer; an empty list when none "
            "has been computed for them.")
def developer_insights(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId,
                       limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        scope.require_table(TABLE, ASSET, "predictions are")
        dev = scope.require_developer(developer_id)
        rows = scope.snapshot.rows(
            f"select * from {TABLE} where workspace_id = ? and lower(developer_id) = ? "
            "qualify row_number() over (partition by insight_type order by generated_at desc nulls last) = 1 "
            "order by insight_type",
            [workspace_id, dev],
        )
        items, nxt = paginate([_prediction(scope, r) for r in rows], limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "developer_id": dev, "items": items, "next_cursor": nxt})
