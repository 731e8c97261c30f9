"""Developer insights (``/workspaces/{workspace_id}/insights``): the five
snapshot categories, roll-ups, teams, workspace health, leaderboards and
history, all read from the published snapshot tables."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..context import RequestScope, in_memory_first, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, decode_cursor, next_cursor
from ..params import CursorQ, DateFromQ, DateToQ, DeveloperId, LimitQ, PeriodStartQ, PeriodTypeQ, TeamId, WorkspaceId
from ..schemas import (
    CATEGORY_MODELS,
    CATEGORY_RESPONSES,
    GROUP_CATEGORY_MODELS,
    Category,
    CompareResponse,
    DeveloperRollup,
    History,
    Leaderboard,
    PeriodType,
    TeamSnapshot,
    TeamWorkload,
    WorkspaceHealth,
    metric_keys,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/insights", tags=["developer-insights"])

DEVELOPER_KEYS = metric_keys(CATEGORY_MODELS)
GROUP_KEYS = metric_keys(GROUP_CATEGORY_MODELS)
INT_KEYS = {
    k for m in (*CATEGORY_MODELS.values(), *GROUP_CATEGORY_MODELS.values())
    for k, f in m.model_fields.items() if f.annotation is int
}
SNAPSHOT = "developer_snapshot"
GROUPS = "group_snapshot"
BUS_FACTOR = "repository_bus_factor"


def _zero(key: str):
    return 0 if key in INT_KEYS else 0.0


def split_categories(row: dict | None, keys: dict[str, list[str]]) -> dict[str, dict]:
    """A flat snapshot row as category objects; zeros where there is no row."""
    return {c: {k: (row[k] if row else _zero(k)) for k in ks} for c, ks in keys.items()}


def _all_keys(keys: dict[str, list[str]]) -> str:
    return ", ".join(k for ks in keys.values() for k in ks)


def _envelope(scope: RequestScope, period, model: str) -> dict:
    return {
        "workspace_id": scope.workspace_id,
        "period_type": period.period_type,
        "period_start": period.start,
        "period_end": period.end,
        "computed_at": iso_z(scope.computed_at(f"{period.period_type}/{model}", period)),
    }


# SQL identifiers in this module are never request text: the period type is
# the PeriodType enum's value, table names are the constants above, column
# names come from the response models' fields (DEVELOPER_KEYS, GROUP_KEYS),
# and a leaderboard metric is checked against DEVELOPER_KEYS first. Every
# value from the request is a bound parameter.
DEVELOPER_COLUMNS = [k for ks in DEVELOPER_KEYS.values() for k in ks]


def period_rows(scope: RequestScope, period) -> dict[str, tuple]:
    """developer_id -> the snapshot row's metric values, for one workspace and period.

    Read with one query per period and kept in the data version's row cache:
    a point lookup in DuckDB costs milliseconds, a dict lookup microseconds.
    """
    def load():
        rows = scope.snapshot.tuples(
            f"select developer_id, {_all_keys(DEVELOPER_KEYS)} from {period.period_type}.{SNAPSHOT} "
            "where workspace_id = ? and period_start = ?",
            [scope.workspace_id, period.start],
        )
        return {r[0]: r[1:] for r in rows}
    return scope.snapshot.cached((SNAPSHOT, scope.workspace_id, period.period_type, period.start), load,
                                 weight=lambda rows: len(rows) * len(DEVELOPER_COLUMNS))


def ranking(scope: RequestScope, period, metric: str) -> list[tuple[str, object]]:
    """(developer_id, value) of every developer with a row in the period: by value descending
    (nulls last, as DuckDB orders them), ties by developer_id. Sorted from the cached period rows."""
    def load():
        i = DEVELOPER_COLUMNS.index(metric)
        pairs = [(dev, values[i]) for dev, values in period_rows(scope, period).items()]
        pairs.sort(key=lambda p: p[0])
        pairs.sort(key=lambda p: (p[1] is None, -p[1] if p[1] is not None else 0))  # stable: ties keep id order
        return pairs
    return scope.snapshot.cached(("ranking", scope.workspace_id, period.period_type, period.start, metric), load,
                                 weight=lambda pairs: 2 * len(pairs))


def developer_row(scope: RequestScope, developer_id: str, period) -> dict | None:
    values = period_rows(scope, period).get(developer_id)
    return dict(zip(DEVELOPER_COLUMNS, values)) if values is not None else None


# --- one developer ---------------------------------------------------------------
# The one-developer routes and the leaderboard are async: their lookups come
# from the data version's memos and row cache (in_memory_first), and only a
# miss reads the file, in the threadpool.
def _category_body(scope: RequestScope, category: str, developer_id: str, period_type: str, period_start) -> dict:
    period = scope.period(period_type, period_start, f"{period_type}.{SNAPSHOT}")
    dev = scope.require_developer(developer_id)
    metrics = split_categories(developer_row(scope, dev, period), DEVELOPER_KEYS)[category]
    return {**_envelope(scope, period, SNAPSHOT), "developer_id": dev, "metrics": metrics}


def _category_route(category: str):
    async def route(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId,
                    period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
        with scoped(request, workspace_id) as scope:
            body = await in_memory_first(scope, _category_body, category, developer_id, period_type.value,
                                         period_start)
            return respond(scope, body)

    route.__name__ = f"developer_{category}"
    return route


# /developers/compare must be declared before /developers/{developer_id}
@router.get(
    "/developers/compare",
    response_model=CompareResponse,
    responses=ERROR_RESPONSES,
    summary="Several developers' five-category rollups side by side",
    description="`developer_ids` is a comma-separated list (at most 50); an unknown id is a 404 naming it.",
)
async def compare_developers(
    request: Request,
    workspace_id: WorkspaceId,
    developer_ids: Annotated[str, Query(min_length=1, max_length=5000, description="comma-separated developer ids")],
    period_type: PeriodTypeQ = PeriodType.weekly,
    period_start: PeriodStartQ = None,
):
    ids = [d.strip() for d in developer_ids.split(",") if d.strip()]
    if not ids:
        raise ApiError(400, "developer_ids names no developer")
    if len(ids) > 50:
        raise ApiError(400, f"compare at most 50 developers at once, not {len(ids)}")
    with scoped(request, workspace_id) as scope:
        return respond(scope, await in_memory_first(scope, _compare_body, ids, period_type.value, period_start))


def _compare_body(scope: RequestScope, ids: list[str], period_type: str, period_start) -> dict:
    period = scope.period(period_type, period_start, f"{period_type}.{SNAPSHOT}")
    devs = list(dict.fromkeys(scope.require_developer(d) for d in ids))
    env = _envelope(scope, period, SNAPSHOT)
    return {
        "period_type": env["period_type"], "period_start": env["period_start"],
        "period_end": env["period_end"], "computed_at": env["computed_at"],
        "developers": [
            {"developer_id": d, **split_categories(developer_row(scope, d, period), DEVELOPER_KEYS)} for d in devs
        ],
    }


for _category in CATEGORY_MODELS:
    router.add_api_route(
        f"/developers/{{developer_id}}/{_category}",
        _category_route(_category),
        methods=["GET"],
        response_model=CATEGORY_RESPONSES[_category],
        responses=ERROR_RESPONSES,
        summary=f"{_category.capitalize()} of one developer for one period",
        description=f"The {_category} metrics (METRICS.md) of the developer for the period. "
        "A known developer without activity in a computed period gets zeros.",
        name=f"developer_{_category}",
    )


@router.get(
    "/developers/{developer_id}",
    response_model=DeveloperRollup,
    responses=ERROR_RESPONSES,
    summary="All five categories of one developer for one period",
)
async def developer_rollup(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId,
                           period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        body = await in_memory_first(scope, _rollup_body, developer_id, period_type.value, period_start)
        return respond(scope, body)


def _rollup_body(scope: RequestScope, developer_id: str, period_type: str, period_start) -> dict:
    period = scope.period(period_type, period_start, f"{period_type}.{SNAPSHOT}")
    dev = scope.require_developer(developer_id)
    return {**_envelope(scope, period, SNAPSHOT), "developer_id": dev,
            **split_categories(developer_row(scope, dev, period), DEVELOPER_KEYS)}


# --- teams and workspace -------------------------------------------------------------
def _group(scope: RequestScope, period, group_type: str, group_id: str) -> dict:
    row = scope.snapshot.one(
        f"select member_count, active_member_count, workload_gini, {_all_keys(GROUP_KEYS)} "
        f"from {period.period_type}.{GROUPS} "
        "where workspace_id = ? and group_type = ? and group_id = ? and period_start = ?",
        [scope.workspace_id, group_type, group_id, period.start],
    )
    head = {k: (row[k] if row else _zero(k)) for k in ("member_count", "active_member_count")}
    head["workload_gini"] = row["workload_gini"] if row else 0.0
    return {**head, **split_categories(row, GROUP_KEYS)}


def _require_team(scope: RequestScope, team_id: str) -> str:
    return scope.require_team(team_id)


@router.get("/teams/{team_id}", response_model=TeamSnapshot, responses=ERROR_RESPONSES,
            summary="A team's snapshot for one period",
            description="Velocity counts summed over the team's members; every ratio and mean recomputed over "
            "their pooled events (METRICS.md §6).")
def team_snapshot(request: Request, workspace_id: WorkspaceId, team_id: TeamId,
                  period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = scope.period(period_type.value, period_start, f"{period_type.value}.{GROUPS}")
        team = _require_team(scope, team_id)
        body = {**_envelope(scope, period, GROUPS), "team_id": team, **_group(scope, period, "team", team)}
        return respond(scope, body)


@router.get("/teams/{team_id}/workload", response_model=TeamWorkload, responses=ERROR_RESPONSES,
            summary="Each member's share of the team's work, and the Gini coefficient")
def team_workload(request: Request, workspace_id: WorkspaceId, team_id: TeamId,
                  period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = scope.period(period_type.value, period_start, f"{period_type.value}.{GROUPS}")
        team = _require_team(scope, team_id)
        members = scope.snapshot.rows(
            f"select m.developer_id, coalesce(s.commits_count, 0) as commits_count, "
            f"coalesce(s.prs_merged, 0) as prs_merged, coalesce(s.review_given_count, 0) as review_given_count "
            f"from staging.stg_team_members m left join {period.period_type}.{SNAPSHOT} s "
            "on s.workspace_id = m.workspace_id and s.developer_id = m.developer_id and s.period_start = ? "
            "where m.workspace_id = ? and m.team_id = ? order by m.developer_id",
            [period.start, scope.workspace_id, team],
        )
        total = sum(m["commits_count"] + m["prs_merged"] + m["review_given_count"] for m in members)
        for m in members:
            work = m["commits_count"] + m["prs_merged"] + m["review_given_count"]
            m["share"] = work / total if total else 0.0
        env = _envelope(scope, period, GROUPS)
        body = {**env, "team_id": team, "workload_gini": _group(scope, period, "team", team)["workload_gini"],
                "members": members}
        return respond(scope, body)


@router.get("/workspace/health", response_model=WorkspaceHealth, responses=ERROR_RESPONSES,
            summary="The workspace roll-up and the bus factor of each repository",
            description="The team roll-up computed over every developer with a row in the period, plus per "
            "configured repository the bus factor (METRICS.md §6, §8.13).")
def workspace_health(request: Request, workspace_id: WorkspaceId,
                     period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = scope.period(period_type.value, period_start, f"{period_type.value}.{GROUPS}")
        repos = scope.snapshot.rows(
            f"select repository, bus_factor, commits_count from {period.period_type}.{BUS_FACTOR} "
            "where workspace_id = ? and period_start = ? order by repository",
            [scope.workspace_id, period.start],
        ) if scope.snapshot.has(f"{period.period_type}.{BUS_FACTOR}") else []
        body = {**_envelope(scope, period, GROUPS), **_group(scope, period, "workspace", workspace_id),
                "repositories": repos}
        return respond(scope, body)


# --- leaderboards and history ------------------------------------------------------------
@router.get("/leaderboards/{category}", response_model=Leaderboard, responses=ERROR_RESPONSES,
            summary="Developers ranked by one metric of a category",
            description="Descending by the metric, ties by developer_id, over the developers with a row in the "
            "period. `metric` defaults to the category's first key.")
async def leaderboard(request: Request, workspace_id: WorkspaceId, category: Category,
                      metric: Annotated[str | None, Query(max_length=64, description="a metric key of the category")] = None,
                      period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None,
                      limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    keys = DEVELOPER_KEYS[category.value]
    metric = metric or keys[0]
    if metric not in keys:
        raise ApiError(400, f"{metric!r} is not a {category.value} metric; one of {keys}")
    offset = decode_cursor(cursor)
    with scoped(request, workspace_id) as scope:
        body = await in_memory_first(scope, _leaderboard_body, category.value, metric, period_type.value,
                                     period_start, limit, offset)
        return respond(scope, body)


def _leaderboard_body(scope: RequestScope, category: str, metric: str, period_type: str, period_start, limit: int,
                      offset: int) -> dict:
    period = scope.period(period_type, period_start, f"{period_type}.{SNAPSHOT}")
    rows = ranking(scope, period, metric)[offset:offset + limit + 1]
    items = [{"rank": offset + i + 1, "developer_id": d, "value": v} for i, (d, v) in enumerate(rows[:limit])]
    return {**_envelope(scope, period, SNAPSHOT), "category": category, "metric": metric, "items": items,
            "next_cursor": next_cursor(offset, limit, len(items), len(rows) > limit)}


@router.get("/snapshots/history", response_model=History, responses=ERROR_RESPONSES,
            summary="One developer's snapshots over a range of periods",
            description="One item per computed period whose start falls in [from, to] (both inclusive), oldest "
            "first; a period without a row for the developer is zeros. Periods not computed yet are left out.")
def snapshot_history(request: Request, workspace_id: WorkspaceId,
                     developer_id: Annotated[str, Query(min_length=1, max_length=320)],
                     period_type: PeriodTypeQ = PeriodType.weekly,
                     date_from: DateFromQ = None, date_to: DateToQ = None,
                     limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    if date_from and date_to and date_from > date_to:
        raise ApiError(400, f"from ({date_from}) is after to ({date_to})")
    offset = decode_cursor(cursor)
    with scoped(request, workspace_id) as scope:
        dev = scope.require_developer(developer_id)
        pt = period_type.value
        asset = f"{pt}/{SNAPSHOT}"
        periods = scope.snapshot.rows(
            "select cast(partition_key as date) as period_start, computed_at from meta.partition_ledger "
            "where asset_key = ? and cast(partition_key as date) between ? and ? "
            "order by partition_key limit ? offset ?",
            [asset, date_from or date.min, date_to or date.max, limit + 1, offset],
        ) if scope.snapshot.has("meta.partition_ledger") else []
        page = periods[:limit]
        rows = {}
        if page:
            found = scope.snapshot.rows(
                f"select period_start, {_all_keys(DEVELOPER_KEYS)} from {pt}.{SNAPSHOT} "
                "where workspace_id = ? and developer_id = ? and period_start between ? and ?",
                [scope.workspace_id, dev, page[0]["period_start"], page[-1]["period_start"]],
            )
            rows = {r["period_start"]: r for r in found}
        items = []
        for p in page:
            period = scope.calendar.period(pt, p["period_start"])
            items.append({"period_start": period.start, "period_end": period.end,
                          "computed_at": iso_z(p["computed_at"]),
                          **split_categories(rows.get(period.start), DEVELOPER_KEYS)})
        body = {"workspace_id": workspace_id, "developer_id": dev, "period_type": pt, "items": items,
                "next_cursor": next_cursor(offset, limit, len(items), len(periods) > limit)}
        return respond(scope, body)
