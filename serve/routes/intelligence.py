"""Intelligence (``/workspaces/{workspace_id}/intelligence``): the seven
analyzers of METRICS.md §7, read from their published period tables
(``sql_models/analyzers/``). ``developer_id`` and ``team_id`` are query
parameters (the product spec used the caller); a team route without
``team_id`` answers for the whole workspace.

Every number comes from the tables; a route only selects, orders and
reshapes rows (and counts the rows it returns). A known developer without a
row in a computed period gets the analyzer's zero answer; a table not
published yet, or a period not computed yet, is a 404 naming the asset (and
partition) to materialize.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ..context import RequestScope, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, paginate
from ..params import CursorQ, LimitQ, PeriodStartQ, PeriodTypeQ, WorkspaceId
from ..schemas import PeriodType
from ..schemas_intelligence import (
    BurnoutAssessment,
    CollaborationGraph,
    CollaboratorProfile,
    CommitDistribution,
    DeveloperComplexity,
    DeveloperExpertise,
    DeveloperTechnology,
    ResponseTime,
    ReviewQuality,
    SkillComparison,
    TeamBurnout,
    TeamCohesion,
    TeamComplexity,
    TeamTechnology,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/intelligence", tags=["intelligence"])

DeveloperQ = Annotated[str, Query(min_length=1, max_length=320,
                                  description="A GitHub login, or an email for an unlinked identity; case-insensitive")]
TeamQ = Annotated[str | None, Query(max_length=100, description="A team id; omitted: the whole workspace")]

# Table names are these constants; the period type is the PeriodType enum's
# value. Everything from the request is a bound parameter.
COMMITS = "developer_commit_analysis"
BURNOUT = "developer_burnout"
TEAM_BURNOUT = "team_burnout"
EXPERTISE = "developer_expertise"
TEAM_EXPERTISE = "team_expertise"
REVIEWS = "developer_review_quality"
EDGES = "collaboration_edges"
COHESION = "team_collaboration"
COMPLEXITY = "complexity_summary"
TECHNOLOGY = "technology_summary"
COMMIT_TYPES = ("feat", "fix", "refactor", "chore", "docs", "test", "style", "perf", "build", "ci", "revert", "other")
INDICATORS = (("late_night_commit_ratio", 0.25), ("weekend_commit_ratio", 0.20), ("longest_streak_days", 0.20),
              ("days_since_break", 0.20), ("review_decline", 0.15))


# --- shared helpers (the analytics routes use them too) ---------------------------------
def analyzer_period(scope: RequestScope, model: str, period_type: PeriodType, period_start):
    """The requested (or latest computed) period of ``period_type/model``; 404s name what to materialize."""
    pt = period_type.value
    relation = f"{pt}.{model}"
    scope.require_table(relation, f"{pt}/{model}", f"the {model} table is")
    return scope.period(pt, period_start, relation)


def envelope(scope: RequestScope, period, model: str) -> dict:
    return {
        "workspace_id": scope.workspace_id,
        "period_type": period.period_type,
        "period_start": period.start,
        "period_end": period.end,
        "computed_at": iso_z(scope.computed_at(f"{period.period_type}/{model}", period)),
    }


def developer_row(scope: RequestScope, model: str, period, developer_id: str) -> dict | None:
    return scope.snapshot.one(
        f"select * from {period.period_type}.{model} where workspace_id = ? and developer_id = ? and period_start = ?",
        [scope.workspace_id, developer_id, period.start],
    )


def group_row(scope: RequestScope, model: str, period, team_id: str | None) -> dict | None:
    group_type, group_id = ("team", team_id) if team_id else ("workspace", scope.workspace_id)
    return scope.snapshot.one(
        f"select * from {period.period_type}.{model} "
        "where workspace_id = ? and group_type = ? and group_id = ? and period_start = ?",
        [scope.workspace_id, group_type, group_id, period.start],
    )


def optional_team(scope: RequestScope, team_id: str | None) -> str | None:
    return scope.require_team(team_id) if team_id else None


def edge_item(row: dict) -> dict:
    return {**{k: row[k] for k in ("developer_a_id", "developer_b_id", "interaction_count", "review_count",
                                   "co_author_count", "comment_count", "strength_score", "interaction_types")},
            "last_interaction_at": iso_z(row["last_interaction_at"])}


def collaboration_graph(scope: RequestScope, period, team_id: str | None) -> dict:
    """Nodes and edges of the period's network: all of the workspace, or the edges touching a team's members."""
    edges = scope.snapshot.rows(
        f"select * from {period.period_type}.{EDGES} where workspace_id = ? and period_start = ? "
        "order by developer_a_id, developer_b_id",
        [scope.workspace_id, period.start],
    )
    memberships: dict[str, list[str]] = {}
    for r in scope.snapshot.rows("select developer_id, team_id from staging.stg_team_members where workspace_id = ? "
                                 "order by team_id", [scope.workspace_id]):
        memberships.setdefault(r["developer_id"], []).append(r["team_id"])
    if team_id:
        members = {d for d, teams in memberships.items() if team_id in teams}
        edges = [e for e in edges if e["developer_a_id"] in members or e["developer_b_id"] in members]
    else:
        members = None
    nodes: dict[str, dict] = {}
    for e in edges:
        for dev in (e["developer_a_id"], e["developer_b_id"]):
            node = nodes.setdefault(dev, {"developer_id": dev, "teams": memberships.get(dev, []),
                                          "in_scope": members is None or dev in members,
                                          "degree": 0, "interaction_count": 0})
            node["degree"] += 1
            node["interaction_count"] += e["interaction_count"]
    if members:
        for dev in members - set(nodes):
            nodes[dev] = {"developer_id": dev, "teams": memberships.get(dev, []), "in_scope": True,
                          "degree": 0, "interaction_count": 0}
    return {"team_id": team_id, "nodes": [nodes[d] for d in sorted(nodes)], "edges": [edge_item(e) for e in edges]}


# --- commit analyzer ----------------------------------------------------------------------
@router.get("/commits/distribution", response_model=CommitDistribution, responses=ERROR_RESPONSES,
            summary="Commit types, scopes, quality and breaking changes of one developer",
            description="Counted commits of the period by Conventional Commits type, else keyword rules, else "
            "`other` (METRICS.md §7, docs/metrics.md \"Commit analyzer\").")
def commit_distribution(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
                        period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, COMMITS, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = developer_row(scope, COMMITS, period, dev) or {}
        body = {
            **envelope(scope, period, COMMITS), "developer_id": dev,
            "commits_analyzed": row.get("commits_analyzed", 0),
            "type_distribution": {t: row.get(f"n_{t}", 0) for t in COMMIT_TYPES},
            "top_tags": row.get("top_tags", []),
            "average_quality_score": row.get("average_quality_score", 0.0),
            "breaking_changes_count": row.get("breaking_changes_count", 0),
        }
        return respond(scope, body)


# --- burnout --------------------------------------------------------------------------------
@router.get("/burnout", response_model=BurnoutAssessment, responses=ERROR_RESPONSES,
            summary="Burnout risk of one developer: score, level, indicators, alerts, trend",
            description="GitHub activity only (METRICS.md §7); `/predictions/burnout` is the LLM-backed, "
            "multi-signal prediction and will not agree with it.")
def burnout(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
            period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, BURNOUT, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = developer_row(scope, BURNOUT, period, dev)
        if row is None:
            row = {"risk_score": 0.0, "risk_level": "low", "alerts": [], "trend": "stable",
                   "previous_risk_score": 0.0, "risk_score_change": 0.0,
                   "indicators": [{"name": n, "value": 0.0, "normalized": 0.0, "weight": w, "contribution": 0.0}
                                  for n, w in INDICATORS]}
        keys = ("risk_score", "risk_level", "indicators", "alerts", "trend", "previous_risk_score", "risk_score_change")
        return respond(scope, {**envelope(scope, period, BURNOUT), "developer_id": dev, **{k: row[k] for k in keys}})


@router.get("/team/burnout", response_model=TeamBurnout, responses=ERROR_RESPONSES,
            summary="Burnout overview of a team (or the workspace): levels, scores, members at risk")
def team_burnout(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                 period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, TEAM_BURNOUT, period_type, period_start)
        team = optional_team(scope, team_id)
        row = group_row(scope, TEAM_BURNOUT, period, team) or {}
        body = {
            **envelope(scope, period, TEAM_BURNOUT), "team_id": team,
            **{k: row.get(k, 0) for k in ("member_count", "at_risk_count", "increasing_count")},
            "risk_distribution": {lvl: row.get(f"{lvl}_count", 0) for lvl in ("low", "moderate", "high", "critical")},
            "avg_risk_score": row.get("avg_risk_score", 0.0), "max_risk_score": row.get("max_risk_score", 0.0),
            "members": row.get("members", []),
        }
        return respond(scope, body)


# --- expertise ------------------------------------------------------------------------------
@router.get("/expertise", response_model=DeveloperExpertise, responses=ERROR_RESPONSES,
            summary="Skills of one developer with proficiency, confidence and recency, as of the period end",
            description="Languages from the files of the developer's counted commits, frameworks and libraries "
            "from the dependency manifests they changed, over all history up to the period end, each commit "
            "weighing 0.5 ** (age in days / 180) (METRICS.md §7).")
def expertise(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
              skill_type: Annotated[str | None, Query(pattern="^(language|framework|library)$",
                                                      description="language | framework | library")] = None,
              period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None,
              limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, EXPERTISE, period_type, period_start)
        dev = scope.require_developer(developer_id)
        rows = scope.snapshot.rows(
            f"select skill as name, skill_type, ecosystem, proficiency, confidence, recency_factor, depth, context, "
            f"commit_count, lines_of_code, last_activity_at from {period.period_type}.{EXPERTISE} "
            "where workspace_id = ? and developer_id = ? and period_start = ? and (? is null or skill_type = ?) "
            "order by proficiency desc, skill_type, skill",
            [scope.workspace_id, dev, period.start, skill_type, skill_type],
        )
        for r in rows:
            r["last_activity_at"] = iso_z(r["last_activity_at"])
        page, nxt = paginate(rows, limit, cursor)
        return respond(scope, {**envelope(scope, period, EXPERTISE), "developer_id": dev, "skills": page,
                               "next_cursor": nxt})


@router.get("/team/expertise/{skill_name}", response_model=SkillComparison, responses=ERROR_RESPONSES,
            summary="One skill compared across teams (or within one team), as of the period end",
            description="`skill_name` is matched case-insensitively; when a language and a package share the "
            "name, `skill_type` picks one (default: language, then framework, then library).")
def team_expertise(request: Request, workspace_id: WorkspaceId,
                   skill_name: Annotated[str, Path(max_length=200, description="a language or package name")],
                   team_id: TeamQ = None,
                   skill_type: Annotated[str | None, Query(pattern="^(language|framework|library)$")] = None,
                   period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, TEAM_EXPERTISE, period_type, period_start)
        team = optional_team(scope, team_id)
        rows = scope.snapshot.rows(
            f"select * from {period.period_type}.{TEAM_EXPERTISE} "
            "where workspace_id = ? and period_start = ? and lower(skill) = lower(?) and (? is null or skill_type = ?) "
            "order by case skill_type when 'language' then 1 when 'framework' then 2 else 3 end, skill",
            [scope.workspace_id, period.start, skill_name, skill_type, skill_type],
        )
        if not rows:
            raise ApiError(404, f"no developer of workspace {workspace_id!r} has the skill {skill_name!r} "
                           f"as of the {period.period_type} period {period.key}")
        first = rows[0]
        rows = [r for r in rows if (r["skill_type"], r["skill"]) == (first["skill_type"], first["skill"])]

        def group(r: dict) -> dict:
            keys = ("member_count", "members_with_skill", "proficient_members", "coverage", "avg_proficiency",
                    "max_proficiency", "avg_confidence", "top_developer_id", "members")
            return {"team_id": r["group_id"] if r["group_type"] == "team" else None, **{k: r[k] for k in keys}}

        workspace = next((group(r) for r in rows if r["group_type"] == "workspace"), None)
        teams = sorted((group(r) for r in rows if r["group_type"] == "team" and (team is None or r["group_id"] == team)),
                       key=lambda g: (-g["avg_proficiency"], g["team_id"]))
        body = {**envelope(scope, period, TEAM_EXPERTISE), "skill": first["skill"], "skill_type": first["skill_type"],
                "workspace": None if team else workspace, "teams": teams}
        return respond(scope, body)


# --- review quality ---------------------------------------------------------------------------
@router.get("/reviews/quality", response_model=ReviewQuality, responses=ERROR_RESPONSES,
            summary="Review depth, thoroughness, rate and mentoring of one reviewer")
def review_quality(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
                   period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, REVIEWS, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = developer_row(scope, REVIEWS, period, dev) or {}
        body = {
            **envelope(scope, period, REVIEWS), "developer_id": dev,
            "total_reviews": row.get("total_reviews", 0),
            "average_depth_score": row.get("average_depth_score", 0.0),
            "thoroughness_distribution": {"rubber_stamp": row.get("rubber_stamp_count", 0),
                                          "light": row.get("light_count", 0),
                                          "thorough": row.get("thorough_count", 0)},
            "review_rate": row.get("review_rate", 0.0),
            "reviews_per_week": row.get("reviews_per_week", 0.0),
            "top_mentoring_behaviors": row.get("top_mentoring_behaviors", []),
            "mentoring_score": row.get("mentoring_score", 0.0),
        }
        return respond(scope, body)


@router.get("/reviews/response-time", response_model=ResponseTime, responses=ERROR_RESPONSES,
            summary="How fast one reviewer first responds to PRs",
            description="Over the PRs whose first counted review by the developer falls in the period: that "
            "review's submitted_at - the PR's created_at, in hours (METRICS.md §8.10).")
def response_time(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
                  period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, REVIEWS, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = developer_row(scope, REVIEWS, period, dev) or {}
        keys = {"responses_count": 0, "avg_response_hours": 0.0, "median_response_hours": 0.0,
                "p90_response_hours": 0.0, "responses_within_24h_ratio": 0.0}
        return respond(scope, {**envelope(scope, period, REVIEWS), "developer_id": dev,
                               **{k: row.get(k, zero) for k, zero in keys.items()}})


# --- collaboration -----------------------------------------------------------------------------
@router.get("/collaborators", response_model=CollaboratorProfile, responses=ERROR_RESPONSES,
            summary="One developer's collaborators in the period, strongest first")
def collaborators(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
                  period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None,
                  limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, EDGES, period_type, period_start)
        dev = scope.require_developer(developer_id)
        rows = scope.snapshot.rows(
            f"select case when developer_a_id = ? then developer_b_id else developer_a_id end as developer_id, "
            f"interaction_count, review_count, co_author_count, comment_count, strength_score, interaction_types, "
            f"last_interaction_at from {period.period_type}.{EDGES} "
            "where workspace_id = ? and period_start = ? and (developer_a_id = ? or developer_b_id = ?) "
            "order by strength_score desc, developer_id",
            [dev, scope.workspace_id, period.start, dev, dev],
        )
        for r in rows:
            r["last_interaction_at"] = iso_z(r["last_interaction_at"])
        page, nxt = paginate(rows, limit, cursor)
        body = {**envelope(scope, period, EDGES), "developer_id": dev, "collaborator_count": len(rows),
                "total_interactions": sum(r["interaction_count"] for r in rows), "collaborators": page,
                "next_cursor": nxt}
        return respond(scope, body)


@router.get("/team/collaboration", response_model=TeamCohesion, responses=ERROR_RESPONSES,
            summary="Cohesion of a team (or the workspace): density, clustering, cross-team work, silos")
def team_collaboration(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                       period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, COHESION, period_type, period_start)
        team = optional_team(scope, team_id)
        row = group_row(scope, COHESION, period, team) or {}
        zeros = {"member_count": 0, "internal_edge_count": 0, "density": 0.0, "clustering_coefficient": 0.0,
                 "avg_internal_strength": 0.0, "internal_interactions": 0, "external_interactions": 0,
                 "cross_team_interaction_ratio": 0.0, "silo_members": [], "isolated_members": []}
        return respond(scope, {**envelope(scope, period, COHESION), "team_id": team,
                               **{k: row.get(k, zero) for k, zero in zeros.items()}})


@router.get("/team/collaboration/graph", response_model=CollaborationGraph, responses=ERROR_RESPONSES,
            summary="The collaboration network of the period: nodes and weighted edges",
            description="Every edge of the workspace, or with `team_id` the edges touching the team's members "
            "(their other ends are nodes with `in_scope: false`).")
def team_collaboration_graph(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                             period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, EDGES, period_type, period_start)
        team = optional_team(scope, team_id)
        return respond(scope, {**envelope(scope, period, EDGES), **collaboration_graph(scope, period, team)})


# --- complexity -----------------------------------------------------------------------------------
def complexity_profile(row: dict | None) -> dict:
    row = row or {}
    return {
        "total_prs_analyzed": row.get("total_prs_analyzed", 0),
        "complexity_distribution": {lvl: row.get(f"{lvl}_count", 0)
                                    for lvl in ("trivial", "simple", "moderate", "complex", "critical")},
        **{k: row.get(k, []) for k in ("primary_categories", "common_components", "common_layers")},
        **{k: row.get(k, 0.0) for k in ("avg_files_per_pr", "avg_complexity_score", "cross_cutting_ratio",
                                        "infrastructure_ratio", "avg_review_effort")},
        "handles_critical_changes": row.get("handles_critical_changes", False),
    }


def _complexity_row(scope: RequestScope, period, group_type: str, group_id: str) -> dict | None:
    return scope.snapshot.one(
        f"select * from {period.period_type}.{COMPLEXITY} "
        "where workspace_id = ? and group_type = ? and group_id = ? and period_start = ?",
        [scope.workspace_id, group_type, group_id, period.start],
    )


@router.get("/complexity", response_model=DeveloperComplexity, responses=ERROR_RESPONSES,
            summary="Complexity profile of the PRs one developer opened in the period")
def complexity(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
               period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, COMPLEXITY, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = _complexity_row(scope, period, "developer", dev)
        return respond(scope, {**envelope(scope, period, COMPLEXITY), "developer_id": dev, **complexity_profile(row)})


@router.get("/team/complexity", response_model=TeamComplexity, responses=ERROR_RESPONSES,
            summary="Complexity profile of a team's PRs (or the workspace's)")
def team_complexity(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                    period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, COMPLEXITY, period_type, period_start)
        team = optional_team(scope, team_id)
        row = group_row(scope, COMPLEXITY, period, team)
        return respond(scope, {**envelope(scope, period, COMPLEXITY), "team_id": team, **complexity_profile(row)})


# --- technology -----------------------------------------------------------------------------------
def technology_profile(row: dict | None) -> dict:
    row = row or {}
    return {
        "technologies": row.get("technologies", []),
        **{k: row.get(k, 0) for k in ("current_count", "recent_count", "outdated_count", "deprecated_count")},
        "adoption_score": row.get("adoption_score", 0.0),
        "upgrade_suggestions": row.get("upgrade_suggestions", []),
    }


@router.get("/technology", response_model=DeveloperTechnology, responses=ERROR_RESPONSES,
            summary="Technologies in the repositories one developer works in, with their version status",
            description="The packages declared in the default-branch dependency manifests, as of the period end, "
            "of the repositories the developer authored counted commits in during the period; status against the "
            "newest version seen in the workspace. A developer without commits in the period gets an empty list.")
def technology(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperQ,
               period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, TECHNOLOGY, period_type, period_start)
        dev = scope.require_developer(developer_id)
        row = group_row_of(scope, period, "developer", dev)
        return respond(scope, {**envelope(scope, period, TECHNOLOGY), "developer_id": dev, **technology_profile(row)})


def group_row_of(scope: RequestScope, period, group_type: str, group_id: str) -> dict | None:
    return scope.snapshot.one(
        f"select * from {period.period_type}.{TECHNOLOGY} "
        "where workspace_id = ? and group_type = ? and group_id = ? and period_start = ?",
        [scope.workspace_id, group_type, group_id, period.start],
    )


@router.get("/team/technology", response_model=TeamTechnology, responses=ERROR_RESPONSES,
            summary="Technologies of a team's repositories (or the workspace's), with upgrade suggestions")
def team_technology(request: Request, workspace_id: WorkspaceId, team_id: TeamQ = None,
                    period_type: PeriodTypeQ = PeriodType.weekly, period_start: PeriodStartQ = None):
    with scoped(request, workspace_id) as scope:
        period = analyzer_period(scope, TECHNOLOGY, period_type, period_start)
        team = optional_team(scope, team_id)
        row = group_row(scope, TECHNOLOGY, period, team)
        return respond(scope, {**envelope(scope, period, TECHNOLOGY), "team_id": team, **technology_profile(row)})
