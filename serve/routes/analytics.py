"""Analytics (``/workspaces/{workspace_id}/analytics``): workspace-wide views
for dashboards — the skills heatmap (developer_expertise, team_expertise),
one developer's activity heatmap (activity_heatmap), productivity trends and
workload (developer_snapshot, group_snapshot) and the collaboration network
(collaboration_edges). ``team_id`` narrows a view to one team; omitted, the
view is the whole workspace. Routes only select and reshape published rows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..context import iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, decode_cursor, next_cursor
from ..params import CursorQ, DateFromQ, DateToQ, DeveloperId, LimitQ, PeriodStartQ, PeriodTypeQ, WorkspaceId
from ..schemas import PeriodType
from ..schemas_intelligence import ActivityHeatmap, CollaborationGraph, ProductivityTrend, SkillHeatmap, Workload
from .intelligence import EDGES, EXPERTISE, TEAM_EXPERTISE, TeamQ, analyzer_period, collaboration_graph, envelope, \
    optional_team

router = APIRouter(prefix="/workspaces/{workspace_id}/analytics", tags=["analytics"])

HEATMAP = "activity_heatmap"
SNAPSHOT = "developer_snapshot"
GROUPS = "group_snapshot"
TREND_KEYS = ("commits_count", "prs_merged", "review_given_count", "lines_added", "lines_removed")


@router.get("/heatmap/skills", response_model=SkillHeatmap, responses=ERROR_RESPONSES,
            summary="Developers x skills proficiency matrix, as of the period end",
            description="The `skills` most widespread skills of the team (or workspace) — by members with the "
            "skill, then average proficiency — and each member's proficiency in them (0 without evidence). "
            "Members: the team's configured members, or every developer with a skill.")
def skills_heatmap(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                   skills: Annotated[int, Query(ge=1, le=50, description="how many skills (default 10)")] = 10,
                   period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, TEAM_EXPERTISE, period_type, period_start)
        analyzer_period(scope, EXPERTISE, period_type, period.start)
        team = optional_team(scope, team_id)
        group_type, group_id = ("team", team) if team else ("workspace", workspace_id)
        top = scope.snapshot.rows(
            f"select skill_type, skill from {period.period_type}.{TEAM_EXPERTISE} "
            "where workspace_id = ? and group_type = ? and group_id = ? and period_start = ? "
            "order by members_with_skill desc, avg_proficiency desc, skill_type, skill limit ?",
            [scope.workspace_id, group_type, group_id, period.start, skills],
        )
        if team:
            members = [r["developer_id"] for r in scope.snapshot.rows(
                "select developer_id from staging.stg_team_members where workspace_id = ? and team_id = ? "
                "order by developer_id", [scope.workspace_id, team])]
        else:
            members = [r["developer_id"] for r in scope.snapshot.rows(
                f"select distinct developer_id from {period.period_type}.{EXPERTISE} "
                "where workspace_id = ? and period_start = ? order by developer_id", [scope.workspace_id, period.start])]
        values = {(r["developer_id"], r["skill_type"], r["skill"]): r["proficiency"] for r in scope.snapshot.rows(
            f"select developer_id, skill_type, skill, proficiency from {period.period_type}.{EXPERTISE} "
            "where workspace_id = ? and period_start = ?", [scope.workspace_id, period.start])}
        keys = [(r["skill_type"], r["skill"]) for r in top]
        body = {
            **envelope(scope, period, TEAM_EXPERTISE), "team_id": team,
            "skills": [s for _, s in keys], "skill_types": [t for t, _ in keys],
            "developers": [{"developer_id": d, "proficiency": [values.get((d, t, s), 0.0) for t, s in keys]}
                           for d in members],
        }
        return respond(scope, body)


@router.get("/heatmap/activity/{developer_id}", response_model=ActivityHeatmap, responses=ERROR_RESPONSES,
            summary="One developer's activity by local weekday and hour",
            description="Activity events (commits, own PRs opened/merged/closed, reviews, review comments) of the "
            "period, by the developer's local weekday (Monday first) and hour.")
def activity_heatmap(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId,
                     period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, HEATMAP, period_type, period_start)
        dev = scope.require_developer(developer_id)
        cells = scope.snapshot.rows(
            f"select weekday, hour, events, commits from {period.period_type}.{HEATMAP} "
            "where workspace_id = ? and developer_id = ? and period_start = ? order by weekday, hour",
            [scope.workspace_id, dev, period.start],
        )
        matrix = [[0] * 24 for _ in range(7)]
        for c in cells:
            matrix[c["weekday"] - 1][c["hour"]] = c["events"]
        body = {**envelope(scope, period, HEATMAP), "developer_id": dev,
                "total_events": sum(c["events"] for c in cells), "matrix": matrix, "cells": cells}
        return respond(scope, body)


@router.get("/productivity", response_model=ProductivityTrend, responses=ERROR_RESPONSES,
            summary="Commits, merged PRs, reviews and lines per period: a trend series",
            description="For the workspace, a team (`team_id`) or a developer (`developer_id`): one item per "
            "computed period whose start falls in [from, to] (inclusive), oldest first; a period without a row "
            "is zeros. Read from the published snapshots (group_snapshot, developer_snapshot).")
def productivity(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                 developer_id: Annotated[str | None, Query(max_length=320, description="one developer")] = None,
                 period_type: PeriodTypeQ = PeriodType.weekly,
                 date_from: DateFromQ = None, date_to: DateToQ = None,
                 limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    if team_id and developer_id:
        raise ApiError(400, "give team_id or developer_id, not both")
    if date_from and date_to and date_from > date_to:
        raise ApiError(400, f"from ({date_from}) is after to ({date_to})")
    offset = decode_cursor(cursor)
    with scoped(request, workspace_id) as scope:
        pt = period_type.value
        model = SNAPSHOT if developer_id else GROUPS
        scope.require_table(f"{pt}.{model}", f"{pt}/{model}", f"the {model} table is")
        dev = scope.require_developer(developer_id) if developer_id else None
        team = optional_team(scope, team_id)
        ledger = scope.ledger().get(f"{pt}/{model}", {})
        keys = sorted(k for k in ledger if (date_from or date.min) <= date.fromisoformat(k) <= (date_to or date.max))
        page = keys[offset:offset + limit]
        rows: dict = {}
        if page:
            columns = ", ".join(TREND_KEYS)
            if dev:
                found = scope.snapshot.rows(
                    f"select period_start, {columns} from {pt}.{SNAPSHOT} where workspace_id = ? and developer_id = ? "
                    "and period_start between ? and ?", [scope.workspace_id, dev, page[0], page[-1]])
            else:
                group_type, group_id = ("team", team) if team else ("workspace", workspace_id)
                found = scope.snapshot.rows(
                    f"select period_start, {columns} from {pt}.{GROUPS} where workspace_id = ? and group_type = ? "
                    "and group_id = ? and period_start between ? and ?",
                    [scope.workspace_id, group_type, group_id, page[0], page[-1]])
            rows = {r["period_start"]: r for r in found}
        items = []
        for key in page:
            period = scope.calendar.period(pt, key)
            row = rows.get(period.start, {})
            items.append({"period_start": period.start, "period_end": period.end, "computed_at": iso_z(ledger[key]),
                          **{k: row.get(k, 0) for k in TREND_KEYS}})
        body = {"workspace_id": workspace_id, "period_type": pt, "developer_id": dev, "team_id": team, "items": items,
                "next_cursor": next_cursor(offset, limit, len(items), offset + limit < len(keys))}
        return respond(scope, body)


@router.get("/workload", response_model=Workload, responses=ERROR_RESPONSES,
            summary="Relative workload across developers: each one's share and the Gini coefficient",
            description="Workload = commits_count + prs_merged + review_given_count (METRICS.md §6). Members: "
            "the team's configured members, or every developer with a row in the period; highest first.")
def workload(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
             period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        pt = period_type.value
        for model in (SNAPSHOT, GROUPS):
            scope.require_table(f"{pt}.{model}", f"{pt}/{model}", f"the {model} table is")
        period = scope.period(pt, period_start, f"{pt}.{GROUPS}")
        team = optional_team(scope, team_id)
        if team:
            members = scope.snapshot.rows(
                f"select m.developer_id, coalesce(s.commits_count, 0) as commits_count, "
                f"coalesce(s.prs_merged, 0) as prs_merged, coalesce(s.review_given_count, 0) as review_given_count "
                f"from staging.stg_team_members m left join {pt}.{SNAPSHOT} s on s.workspace_id = m.workspace_id "
                "and s.developer_id = m.developer_id and s.period_start = ? where m.workspace_id = ? and m.team_id = ?",
                [period.start, scope.workspace_id, team])
        else:
            members = scope.snapshot.rows(
                f"select developer_id, commits_count, prs_merged, review_given_count from {pt}.{SNAPSHOT} "
                "where workspace_id = ? and period_start = ?", [scope.workspace_id, period.start])
        for m in members:
            m["workload"] = m["commits_count"] + m["prs_merged"] + m["review_given_count"]
        total = sum(m["workload"] for m in members)
        for m in members:
            m["share"] = m["workload"] / total if total else 0.0
        members.sort(key=lambda m: (-m["workload"], m["developer_id"]))
        gini = scope.snapshot.scalar(
            f"select workload_gini from {pt}.{GROUPS} where workspace_id = ? and group_type = ? and group_id = ? "
            "and period_start = ?",
            [scope.workspace_id, "team" if team else "workspace", team or workspace_id, period.start])
        body = {**envelope(scope, period, GROUPS), "team_id": team, "workload_gini": gini or 0.0, "members": members}
        return respond(scope, body)


@router.get("/collaboration", response_model=CollaborationGraph, responses=ERROR_RESPONSES,
            summary="The collaboration network: nodes and weighted edges of the period",
            description="Same as /intelligence/team/collaboration/graph.")
def collaboration(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                  period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, EDGES, period_type, period_start)
        team = optional_team(scope, team_id)
        return respond(scope, {**envelope(scope, period, EDGES), **collaboration_graph(scope, period, team)})
