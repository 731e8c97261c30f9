"""Render a model's Jinja2 body to DuckDB SQL for one period type and range.

Variables and functions a model may use:

- ``ref('model')``: the relation of another model; from a period model, a
  period-scoped model's table of the same period type, limited to the
  periods being computed. An ephemeral model's ref is a CTE holding its
  SQL rendered for the same period type and range: every ephemeral model a
  query reaches is rendered once, dependencies first, into a ``with`` that
  wraps the query (DuckDB computes a CTE read several times once).
- ``source('raw', 'commits')``: a table a source writes (``raw``, ``config``).
- ``period_type``: ``daily | weekly | biweekly | monthly`` (plain text).
- ``period_start`` / ``period_end``: SQL date literals bounding the range
  being computed: one period, or every period of a single-run backfill.
- ``period_start_of(expr)``: SQL for the start of the period containing a
  UTC timestamp or date expression.
- ``periods()``: a relation ``(period_start, period_end)`` of every period in
  the range (the spine for rows that exist without events).
- the macros in ``sql_models/macros/*.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import jinja2

from ..calendar import PeriodCalendar

if TYPE_CHECKING:
    from .model import Model

KNOWN_SOURCES = {
    "raw": {
        "repositories", "workspace_repositories", "users", "commits", "commit_files",
        "pull_requests", "pull_request_commits", "pull_request_files", "reviews",
        "review_comments", "team_members", "change_log", "file_contents",
    },
    "config": {"workspaces", "teams", "team_members", "bots", "identities", "working_schedules"},
}


def sql_date(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


@dataclass
class RenderContext:
    """What one render needs: the period type and the range [start, end)."""

    period_type: str | None
    start: date
    end: date
    refs: list[str] = field(default_factory=list)
    # False: an ephemeral ref renders as the placeholder relation
    # ``ephemeral.<name>`` (dependency analysis); True: as the CTE below.
    inline_ephemerals: bool = True
    # the ephemeral models reached, name -> rendered SQL, dependencies first
    ephemerals: dict[str, str] = field(default_factory=dict)


class UnknownRef(LookupError):
    def __init__(self, what: str, name: str):
        super().__init__(f"{what} {name!r}")
        self.what, self.name = what, name


def make_environment(macros_dir: Path | None) -> jinja2.Environment:
    """A Jinja environment whose globals are every macro in ``macros_dir``.

    Macros take everything they need as arguments (they see no model
    context), so each one reads like a small SQL function.
    """
    loader = jinja2.FileSystemLoader(str(macros_dir)) if macros_dir and macros_dir.is_dir() else None
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    if loader is not None:
        for name in sorted(env.list_templates(filter_func=lambda n: n.endswith(".sql"))):
            module = env.get_template(name).module
            for attr in dir(module):
                if not attr.startswith("_"):
                    env.globals[attr] = getattr(module, attr)
    return env


def period_start_sql(calendar: PeriodCalendar, period_type: str) -> Callable[[str], str]:
    """SQL for the period start of a UTC timestamp/date expression."""

    def render(expr: str) -> str:
        if period_type in ("daily", "weekly", "monthly"):
            unit = {"daily": "day", "weekly": "week", "monthly": "month"}[period_type]
            return f"cast(date_trunc('{unit}', {expr}) as date)"
        if period_type == "biweekly":
            anchor = sql_date(calendar.biweekly_anchor)
            return (
                f"cast({anchor} + to_days(cast(14 * floor(date_diff('day', {anchor}, "
                f"cast({expr} as date)) / 14) as integer)) as date)"
            )
        raise ValueError(f"period_start_of() needs a period type, got {period_type!r}")

    return render


def periods_sql(calendar: PeriodCalendar, period_type: str, start: date, end: date) -> str:
    rows = ", ".join(
        f"({sql_date(p.start)}, {sql_date(p.end)})" for p in calendar.iter_periods(period_type, start, end)
    )
    if not rows:
        return "(select cast(null as date) as period_start, cast(null as date) as period_end where false)"
    return f"(select * from (values {rows}) as spine(period_start, period_end))"


def ephemeral_cte(name: str) -> str:
    return f"__ephemeral_{name}"


def render_model(
    model: "Model",
    env: jinja2.Environment,
    calendar: PeriodCalendar,
    models: dict[str, "Model"],
    ctx: RenderContext,
    text: str | None = None,
) -> str:
    """Render ``model`` (or ``text`` in the model's context, e.g. a check
    query, where ``this`` is the model's own rows of the range), with the
    ephemeral models it reaches as CTEs of a ``with`` around it."""
    sql = _render_body(model, env, calendar, models, ctx, text)
    if not ctx.ephemerals:
        return sql
    ctes = ",\n".join(f"{ephemeral_cte(name)} as (\n{body}\n)" for name, body in ctx.ephemerals.items())
    return f"with\n{ctes}\nselect * from (\n{sql}\n) as {model.name}"


def _render_body(model, env, calendar, models, ctx: RenderContext, text: str | None) -> str:
    def ref(name: str) -> str:
        target = models.get(name)
        if target is None:
            raise UnknownRef("unknown model in ref()", name)
        ctx.refs.append(name)
        if target.ephemeral:
            if not model.period_scoped:
                raise UnknownRef("a table model cannot ref() the ephemeral (period) model", name)
            if not ctx.inline_ephemerals:
                return f"{target.relation()} as {name}"
            if name not in ctx.ephemerals:
                # its own ephemeral refs land in ctx.ephemerals first
                ctx.ephemerals[name] = _render_body(target, env, calendar, models, ctx, None)
            return f"{ephemeral_cte(name)} as {name}"
        if target.period_scoped:
            if not model.period_scoped:
                raise UnknownRef("a table model cannot ref() the period model", name)
            # Only the periods being computed: a partition never reads its neighbours.
            return (
                f"(select * from {target.relation(ctx.period_type)} "
                f"where period_start >= {sql_date(ctx.start)} and period_start < {sql_date(ctx.end)}) as {name}"
            )
        return target.relation()

    def source(schema: str, table: str) -> str:
        if table not in KNOWN_SOURCES.get(schema, ()):
            raise UnknownRef("unknown source", f"{schema}.{table}")
        return f"{schema}.{table}"

    variables: dict = {"ref": ref, "source": source}
    if model.period_scoped:
        pt = ctx.period_type
        variables.update(
            period_type=pt,
            period_start=sql_date(ctx.start),
            period_end=sql_date(ctx.end),
            period_start_of=period_start_sql(calendar, pt),
            periods=lambda: periods_sql(calendar, pt, ctx.start, ctx.end),
        )
    if text is not None:
        own = model.relation(ctx.period_type) if model.period_scoped else model.relation()
        variables["this"] = (
            f"(select * from {own} where period_start >= {sql_date(ctx.start)} "
            f"and period_start < {sql_date(ctx.end)})" if model.period_scoped else own
        )
    return env.from_string(text if text is not None else model.body).render(**variables)
