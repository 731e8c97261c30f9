"""Settings, working schedules, alert rules and alerts
(``/workspaces/{workspace_id}/insights``).

The product spec's ``GET/PUT /settings``, ``/working-schedules`` and
``/alert-rules`` become read-only views of the configuration: changing them
is a config change (ARCHITECTURE.md, "Configuration"), never an HTTP call.

* ``/settings`` and ``/working-schedules/{developer_id}`` answer from the
  config tables published with the data (``config.workspaces``,
  ``config.working_schedules``): the configuration the served metrics were
  computed with, consistent with ``X-DevLens-Data-Version``.
* ``/alert-rules`` lists the rules of the live config (reloaded on change,
  like the API keys); ``/alerts`` evaluates them against the latest
  published developer snapshots. Their ETags also cover a digest of the
  rules, so editing a rule invalidates a cached answer.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from pipelines.calendar import PERIOD_TYPES
from pipelines.config import AlertRule

from ..context import RequestScope, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, paginate
from ..params import CursorQ, DeveloperId, LimitQ, WorkspaceId
from ..schemas import CATEGORY_MODELS, PeriodType, metric_keys

router = APIRouter(prefix="/workspaces/{workspace_id}/insights", tags=["settings"])

DEVELOPER_KEYS = metric_keys(CATEGORY_MODELS)
SNAPSHOT = "developer_snapshot"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
# The rule's operator, as SQL: a fixed table, never request or config text.
SQL_OPERATORS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "==": "="}


# --- response models -------------------------------------------------------------
class CalendarSettings(BaseModel):
    start: date = Field(description="first period of the deployment")
    biweekly_anchor: date = Field(description="the Monday biweekly periods are counted from")


class InsightSettings(BaseModel):
    workspace_id: str
    default_timezone: str = Field(description="IANA time zone for developers without a schedule or commit offset")
    working_days: list[Weekday] = Field(description="the workspace's working days (default for every developer)")
    teams_from_github: bool = Field(description="teams are read from GitHub's teams API")
    working_schedule_count: int = Field(description="developers with a working schedule of their own")
    period_types: list[PeriodType] = Field(description="the period types every snapshot is computed for")
    calendar: CalendarSettings


class WorkingScheduleResponse(BaseModel):
    workspace_id: str
    developer_id: str
    has_schedule: bool = Field(description="the developer has a working schedule of their own in config")
    timezone: str | None = Field(
        description="the schedule's time zone; null without one, when a commit's own UTC offset (where the source "
        "keeps it) and then default_timezone apply (METRICS.md §0)")
    default_timezone: str
    working_days: list[Weekday] = Field(description="the working days in force: the schedule's, else the workspace's")


class AlertRuleItem(BaseModel):
    id: str
    metric: str = Field(description="'<category>.<metric key>'")
    category: str
    key: str
    operator: Literal[">", ">=", "<", "<=", "=="]
    threshold: float
    period_type: PeriodType
    severity: Severity
    valid: bool = Field(description="the metric names a developer snapshot metric; an invalid rule is never evaluated")
    problem: str | None = Field(description="why the rule is invalid")


class AlertRules(BaseModel):
    workspace_id: str
    items: list[AlertRuleItem]
    next_cursor: str | None


class Alert(BaseModel):
    rule_id: str
    severity: Severity
    metric: str
    operator: Literal[">", ">=", "<", "<=", "=="]
    threshold: float
    developer_id: str
    value: float = Field(description="the developer's value of the metric in the period (0 without a row)")
    period_type: PeriodType
    period_start: date
    period_end: date
    computed_at: datetime | None


class RuleSkipped(BaseModel):
    rule_id: str
    reason: str


class Alerts(BaseModel):
    workspace_id: str
    items: list[Alert] = Field(description="firing alerts: by severity (critical first), rule id, developer id")
    skipped: list[RuleSkipped] = Field(
        description="rules not evaluated: an invalid metric, or no period of their type computed yet")
    next_cursor: str | None


# --- helpers ---------------------------------------------------------------------
def _workspace_config_row(scope: RequestScope) -> dict:
    scope.require_table("config.workspaces", "ingest", "the workspace configuration")
    row = scope.snapshot.one(
        "select workspace_id, default_timezone, working_days, teams_from_github from config.workspaces "
        "where workspace_id = ?", [scope.workspace_id])
    if row is None:
        raise ApiError(404, f"workspace {scope.workspace_id!r} has no published configuration yet: run the ingest "
                       "assets and publish")
    return row


def _rules(request: Request, workspace_id: str) -> list[AlertRule]:
    cfg = request.app.state.config.cfg
    try:
        return list(cfg.workspace(workspace_id).alert_rules)
    except KeyError:
        return []  # check_workspace answers 404 for it


def _rules_tag(rules: list[AlertRule]) -> str:
    text = json.dumps([r.model_dump() for r in rules], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rule_problem(rule: AlertRule) -> str | None:
    category, _, key = rule.metric.partition(".")
    if category not in DEVELOPER_KEYS:
        return f"unknown category {category!r}; one of {list(DEVELOPER_KEYS)}"
    if key not in DEVELOPER_KEYS[category]:
        return f"{key!r} is not a {category} metric; one of {DEVELOPER_KEYS[category]}"
    return None


def _rule_item(rule: AlertRule) -> dict:
    category, _, key = rule.metric.partition(".")
    problem = _rule_problem(rule)
    return {"id": rule.id, "metric": rule.metric, "category": category, "key": key, "operator": rule.operator,
            "threshold": rule.threshold, "period_type": rule.period_type, "severity": rule.severity,
            "valid": problem is None, "problem": problem}


# --- routes ----------------------------------------------------------------------
@router.get("/settings", response_model=InsightSettings, responses=ERROR_RESPONSES,
            summary="The workspace's insight settings in force",
            description="The configuration the served data was computed with (published with it). Read-only: "
            "change `settings` in devlens.yaml and re-run the pipeline.")
def insight_settings(request: Request, workspace_id: WorkspaceId):
    with scoped(request, workspace_id) as scope:
        row = _workspace_config_row(scope)
        schedules = scope.snapshot.scalar(
            "select count(*) from config.working_schedules where workspace_id = ?", [workspace_id]
        ) if scope.snapshot.has("config.working_schedules") else 0
        body = {"workspace_id": workspace_id, "default_timezone": row["default_timezone"],
                "working_days": list(row["working_days"] or []), "teams_from_github": bool(row["teams_from_github"]),
                "working_schedule_count": schedules, "period_types": list(PERIOD_TYPES),
                "calendar": {"start": scope.calendar.start, "biweekly_anchor": scope.calendar.biweekly_anchor}}
        return respond(scope, body)


@router.get("/working-schedules/{developer_id}", response_model=WorkingScheduleResponse, responses=ERROR_RESPONSES,
            summary="One developer's working schedule in force",
            description="The developer's own schedule where configured, else the workspace's working days. "
            "An unknown developer is a 404.")
def working_schedule(request: Request, workspace_id: WorkspaceId, developer_id: DeveloperId):
    with scoped(request, workspace_id) as scope:
        dev = scope.require_developer(developer_id)
        ws = _workspace_config_row(scope)
        sched = scope.snapshot.one(
            "select timezone, working_days from config.working_schedules where workspace_id = ? and developer_id = ?",
            [workspace_id, dev],
        ) if scope.snapshot.has("config.working_schedules") else None
        days = (sched and sched["working_days"]) or ws["working_days"] or []
        body = {"workspace_id": workspace_id, "developer_id": dev, "has_schedule": sched is not None,
                "timezone": sched["timezone"] if sched else None, "default_timezone": ws["default_timezone"],
                "working_days": list(days)}
        return respond(scope, body)


@router.get("/alert-rules", response_model=AlertRules, responses=ERROR_RESPONSES,
            summary="The alert rules in force",
            description="The workspace's `alert_rules` from the live config (reloaded on change). A rule whose "
            "metric is not a developer snapshot metric is listed with `valid: false` and never evaluated.")
def alert_rules(request: Request, workspace_id: WorkspaceId, limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    rules = _rules(request, workspace_id)
    with scoped(request, workspace_id, etag_extra=_rules_tag(rules)) as scope:
        items, nxt = paginate([_rule_item(r) for r in rules], limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "next_cursor": nxt})


@router.get("/alerts", response_model=Alerts, responses=ERROR_RESPONSES,
            summary="Alert rules evaluated against the latest snapshots",
            description="Each valid rule is evaluated on the latest computed period of its period type, over "
            "every known developer (a developer without a row in that period has zeros, as in the snapshot "
            "routes). One item per (rule, developer) whose value satisfies `value <operator> threshold`.")
def alerts(request: Request, workspace_id: WorkspaceId,
           severity: Annotated[Severity | None, Query(description="only alerts of this severity")] = None,
           rule_id: Annotated[str | None, Query(max_length=100, description="only this rule's alerts")] = None,
           limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    rules = _rules(request, workspace_id)
    with scoped(request, workspace_id, etag_extra=_rules_tag(rules)) as scope:
        if rule_id is not None and rule_id not in {r.id for r in rules}:
            raise ApiError(404, f"alert rule {rule_id!r} not found in workspace {workspace_id!r}")
        selected = [r for r in rules if (severity is None or r.severity == severity)
                    and (rule_id is None or r.id == rule_id)]
        fired: list[dict] = []
        skipped: list[dict] = []
        for rule in selected:
            problem = _rule_problem(rule)
            if problem:
                skipped.append({"rule_id": rule.id, "reason": problem})
                continue
            asset = f"{rule.period_type}/{SNAPSHOT}"
            latest = scope.latest_partition(asset)
            relation = f"{rule.period_type}.{SNAPSHOT}"
            if latest is None or not scope.snapshot.has(relation):
                skipped.append({"rule_id": rule.id, "reason": f"no {rule.period_type} period computed yet: "
                                f"materialize {asset}"})
                continue
            period = scope.calendar.period(rule.period_type, latest)
            key = rule.metric.partition(".")[2]
            # Identifiers below come from fixed sets, never from the request: the
            # period type from the config's enum, the column from the snapshot's
            # metric keys (checked by _rule_problem), the operator from
            # SQL_OPERATORS. The threshold and every value are bound parameters.
            rows = scope.snapshot.rows(
                f"select d.developer_id, coalesce(s.{key}, 0) as value "
                f"from staging.stg_developers d left join {relation} s "
                "on s.workspace_id = d.workspace_id and s.developer_id = d.developer_id and s.period_start = ? "
                f"where d.workspace_id = ? and coalesce(s.{key}, 0) {SQL_OPERATORS[rule.operator]} ? "
                "order by d.developer_id",
                [period.start, workspace_id, rule.threshold],
            )
            computed = iso_z(scope.computed_at(asset, period))
            fired += [{"rule_id": rule.id, "severity": rule.severity, "metric": rule.metric,
                       "operator": rule.operator, "threshold": rule.threshold, "developer_id": r["developer_id"],
                       "value": r["value"], "period_type": rule.period_type, "period_start": period.start,
                       "period_end": period.end, "computed_at": computed} for r in rows]
        fired.sort(key=lambda a: (SEVERITY_ORDER[a["severity"]], a["rule_id"], a["developer_id"]))
        items, nxt = paginate(fired, limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "skipped": skipped, "next_cursor": nxt})
