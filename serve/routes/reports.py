"""Reports (``/workspaces/{workspace_id}/reports``): report definitions, their
widget data, templates, schedules and export jobs, as the reports assets
published them. Creating, editing, scheduling or exporting a report is a
config change or a Dagster run, never an HTTP call.

Tables read (each is answered 404, naming its asset, until published), with
the product spec's fields (CustomReport, ScheduledReport, ExportJob):

=============================  ======================================================
``reports.custom_reports``     workspace_id, report_id, name, description, widgets
                               (JSON list of {type, metric, config, position}),
                               filters (JSON), layout (JSON), is_template, is_public,
                               created_at, updated_at
``reports.report_widget_data`` workspace_id, report_id, widget_index, widget_type,
                               metric, data (JSON), computed_at
``reports.report_templates``   [workspace_id], template_id, name, description,
                               widgets, filters, layout
``reports.scheduled_reports``  workspace_id, schedule_id, report_id, schedule,
                               day_of_week, day_of_month, time_utc, recipients (JSON
                               list), delivery_method, export_format, is_active,
                               last_sent_at, next_run_at
``reports.export_jobs``        workspace_id, export_id, report_id, export_type, format,
                               status, file_path, file_size_bytes, error_message,
                               created_at, completed_at, expires_at
=============================  ======================================================

The asset of table ``reports.X`` is ``reports/X``. Missing optional columns
read as null; JSON columns may be JSON text or DuckDB nested types.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from ..context import RequestScope, iso_z, respond, scoped
from ..errors import ERROR_RESPONSES, ApiError
from ..pagination import DEFAULT_LIMIT, paginate
from ..params import CursorQ, LimitQ, WorkspaceId

router = APIRouter(prefix="/workspaces/{workspace_id}/reports", tags=["reports"])

REPORTS = "reports.custom_reports"
WIDGET_DATA = "reports.report_widget_data"
TEMPLATES = "reports.report_templates"
SCHEDULES = "reports.scheduled_reports"
EXPORTS = "reports.export_jobs"

Id = Annotated[str, Path(max_length=200, description="the id as listed")]


def _asset(relation: str) -> str:
    return relation.replace(".", "/")


# --- response models -----------------------------------------------------------------
class Report(BaseModel):
    workspace_id: str
    report_id: str
    name: str | None
    description: str | None
    widgets: list[Any] = Field(description="[{type, metric, config, position}, ...]")
    filters: dict[str, Any] | None = Field(description="{date_range, team_ids, developer_ids}")
    layout: dict[str, Any] | None = Field(description="{columns, rows, responsive}")
    is_template: bool
    is_public: bool
    created_at: datetime | None
    updated_at: datetime | None


class ReportList(BaseModel):
    workspace_id: str
    items: list[Report]
    next_cursor: str | None


class WidgetData(BaseModel):
    widget_index: int = Field(description="position of the widget in the report's `widgets`")
    widget_type: str | None
    metric: str | None
    data: Any = Field(description="the widget's computed data")
    computed_at: datetime | None


class ReportData(BaseModel):
    workspace_id: str
    report_id: str
    widgets: list[WidgetData]


class Template(BaseModel):
    template_id: str
    name: str | None
    description: str | None
    widgets: list[Any]
    filters: dict[str, Any] | None
    layout: dict[str, Any] | None


class TemplateList(BaseModel):
    workspace_id: str
    items: list[Template]
    next_cursor: str | None


class Schedule(BaseModel):
    schedule_id: str
    report_id: str
    schedule: str | None = Field(description="daily | weekly | monthly")
    day_of_week: int | None = Field(description="0-6, for weekly")
    day_of_month: int | None = Field(description="1-31, for monthly")
    time_utc: str | None = Field(description="HH:MM")
    recipients: list[Any]
    delivery_method: str | None = Field(description="email | slack | both")
    export_format: str | None = Field(description="pdf | csv | json")
    is_active: bool
    last_sent_at: datetime | None
    next_run_at: datetime | None


class ScheduleList(BaseModel):
    workspace_id: str
    items: list[Schedule]
    next_cursor: str | None


class ExportJob(BaseModel):
    export_id: str
    report_id: str | None
    export_type: str | None = Field(description="report | developer_profile | team_analytics")
    format: str | None = Field(description="pdf | csv | json | xlsx")
    status: str | None = Field(description="pending | processing | completed | failed")
    file_path: str | None = Field(description="where the exported file is, once completed")
    file_size_bytes: int | None
    error_message: str | None
    created_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None


class ExportList(BaseModel):
    workspace_id: str
    items: list[ExportJob]
    next_cursor: str | None


class ReportFilter(str, Enum):
    all = "all"
    public = "public"
    template = "template"


# --- reading -----------------------------------------------------------------------------
def _json(value, kind):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if value is None:
        return [] if kind == "list" else None
    if kind == "list" and not isinstance(value, list):
        return [value]
    if kind == "object" and not isinstance(value, dict):
        return {"value": value}
    return value


def _shape(row: dict, fields: dict[str, str]) -> dict:
    """A table row as a response item: only ``fields``, each read as its kind."""
    out = {}
    for name, kind in fields.items():
        v = row.get(name)
        if kind in ("list", "object"):
            v = _json(v, kind)
        elif kind == "any" and isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass  # plain text data stays text
        elif kind == "ts":
            v = iso_z(v)
        elif kind == "bool":
            v = bool(v)
        elif kind == "str":
            v = None if v is None else str(v)
        out[name] = v
    return out


REPORT_FIELDS = {"report_id": "str", "name": "str", "description": "str", "widgets": "list", "filters": "object",
                 "layout": "object", "is_template": "bool", "is_public": "bool", "created_at": "ts",
                 "updated_at": "ts"}
TEMPLATE_FIELDS = {"template_id": "str", "name": "str", "description": "str", "widgets": "list",
                   "filters": "object", "layout": "object"}
SCHEDULE_FIELDS = {"schedule_id": "str", "report_id": "str", "schedule": "str", "day_of_week": "int",
                   "day_of_month": "int", "time_utc": "str", "recipients": "list", "delivery_method": "str",
                   "export_format": "str", "is_active": "bool", "last_sent_at": "ts", "next_run_at": "ts"}
EXPORT_FIELDS = {"export_id": "str", "report_id": "str", "export_type": "str", "format": "str", "status": "str",
                 "file_path": "str", "file_size_bytes": "int", "error_message": "str", "created_at": "ts",
                 "completed_at": "ts", "expires_at": "ts"}
WIDGET_FIELDS = {"widget_index": "int", "widget_type": "str", "metric": "str", "data": "any", "computed_at": "ts"}


def _columns(scope: RequestScope, relation: str) -> set[str]:
    schema, name = relation.split(".")
    return scope.snapshot.memo(("columns", relation), lambda: {
        r["column_name"] for r in scope.snapshot.rows(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name])})


def _select(scope: RequestScope, relation: str, what: str, where: dict[str, object], order: str) -> list[dict]:
    """Rows of a published reports table for this workspace.

    ``relation``, the ``where`` column names and ``order`` are fixed by the
    routes (module constants), never request input; every value is bound.
    """
    scope.require_table(relation, _asset(relation), what)
    cols = _columns(scope, relation)
    conds, params = [], []
    if "workspace_id" in cols:
        conds.append("workspace_id = ?")
        params.append(scope.workspace_id)
    for col, value in where.items():
        conds.append(f"cast({col} as varchar) = ?")
        params.append(value)
    sql = f"select * from {relation}" + (f" where {' and '.join(conds)}" if conds else "")
    if order.split()[0] in cols:
        sql += f" order by {order}"
    return scope.snapshot.rows(sql, params)


def _report(scope: RequestScope, report_id: str) -> dict:
    rows = _select(scope, REPORTS, "reports are", {"report_id": report_id}, "report_id")
    if not rows:
        raise ApiError(404, f"report {report_id!r} not found in workspace {scope.workspace_id!r}")
    return {"workspace_id": scope.workspace_id, **_shape(rows[0], REPORT_FIELDS)}


# --- routes (fixed paths before /{report_id}) ---------------------------------------------
@router.get("", response_model=ReportList, responses=ERROR_RESPONSES, summary="The workspace's reports",
            description="`filter=public` lists the public reports, `filter=template` the reports marked as "
            "templates; `all` (default) every report.")
def list_reports(request: Request, workspace_id: WorkspaceId,
                 filter: Annotated[ReportFilter, Query(description="all | public | template")] = ReportFilter.all,
                 limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        rows = [{"workspace_id": workspace_id, **_shape(r, REPORT_FIELDS)}
                for r in _select(scope, REPORTS, "reports are", {}, "report_id")]
        if filter is ReportFilter.public:
            rows = [r for r in rows if r["is_public"]]
        elif filter is ReportFilter.template:
            rows = [r for r in rows if r["is_template"]]
        items, nxt = paginate(rows, limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "next_cursor": nxt})


@router.get("/templates", response_model=TemplateList, responses=ERROR_RESPONSES, summary="Report templates")
def list_templates(request: Request, workspace_id: WorkspaceId, limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        rows = [_shape(r, TEMPLATE_FIELDS) for r in _select(scope, TEMPLATES, "report templates are", {}, "template_id")]
        items, nxt = paginate(rows, limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "next_cursor": nxt})


@router.get("/schedules", response_model=ScheduleList, responses=ERROR_RESPONSES,
            summary="Scheduled report deliveries",
            description="Every schedule of the workspace, or of one report with `report_id`.")
def list_schedules(request: Request, workspace_id: WorkspaceId,
                   report_id: Annotated[str | None, Query(max_length=200, description="only this report's")] = None,
                   limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        where = {"report_id": report_id} if report_id is not None else {}
        rows = [_shape(r, SCHEDULE_FIELDS) for r in _select(scope, SCHEDULES, "report schedules are", where, "schedule_id")]
        items, nxt = paginate(rows, limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "next_cursor": nxt})


@router.get("/exports", response_model=ExportList, responses=ERROR_RESPONSES, summary="Export jobs and their files",
            description="Every export job of the workspace (newest first), or of one report with `report_id`; a "
            "completed job names its file (`file_path`, `file_size_bytes`).")
def list_exports(request: Request, workspace_id: WorkspaceId,
                 report_id: Annotated[str | None, Query(max_length=200, description="only this report's")] = None,
                 limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    with scoped(request, workspace_id) as scope:
        where = {"report_id": report_id} if report_id is not None else {}
        rows = [_shape(r, EXPORT_FIELDS)
                for r in _select(scope, EXPORTS, "export jobs are", where, "created_at desc nulls last, export_id")]
        items, nxt = paginate(rows, limit, cursor)
        return respond(scope, {"workspace_id": workspace_id, "items": items, "next_cursor": nxt})


@router.get("/exports/{export_id}", response_model=ExportJob, responses=ERROR_RESPONSES, summary="One export job")
def get_export(request: Request, workspace_id: WorkspaceId, export_id: Id):
    with scoped(request, workspace_id) as scope:
        rows = _select(scope, EXPORTS, "export jobs are", {"export_id": export_id}, "export_id")
        if not rows:
            raise ApiError(404, f"export {export_id!r} not found in workspace {workspace_id!r}")
        return respond(scope, _shape(rows[0], EXPORT_FIELDS))


@router.get("/{report_id}", response_model=Report, responses=ERROR_RESPONSES, summary="One report's definition")
def get_report(request: Request, workspace_id: WorkspaceId, report_id: Id):
    with scoped(request, workspace_id) as scope:
        return respond(scope, _report(scope, report_id))


@router.get("/{report_id}/data", response_model=ReportData, responses=ERROR_RESPONSES,
            summary="A report's widget data",
            description="The data the reports assets computed for each widget of the report, by widget_index.")
def report_data(request: Request, workspace_id: WorkspaceId, report_id: Id):
    with scoped(request, workspace_id) as scope:
        _report(scope, report_id)
        rows = _select(scope, WIDGET_DATA, "report widget data is", {"report_id": report_id}, "widget_index")
        body = {"workspace_id": workspace_id, "report_id": report_id,
                "widgets": [_shape(r, WIDGET_FIELDS) for r in rows]}
        return respond(scope, body)
