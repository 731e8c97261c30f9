"""Load every model under ``sql_models/``, find dependencies, fail early.

Dependencies come from parsing the rendered SQL with sqlglot and collecting
the tables of every scope (leaving out each scope's own CTEs), never from a
hand-kept list. An unknown ref or source, a cycle, or SQL that does not
parse raises :class:`ModelError` naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.scope import traverse_scope

from ..calendar import PeriodCalendar
from .model import HEADER_RE, Model, ModelError, parse_model_file
from .render import RenderContext, UnknownRef, make_environment, render_model

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "sql_models"


@dataclass(frozen=True)
class Dependencies:
    models: tuple[str, ...]
    sources: tuple[str, ...]  # 'raw.commits', 'config.team_members'


class ModelProject:
    """All models, their dependencies and a topological order."""

    def __init__(self, root: Path, calendar: PeriodCalendar):
        self.root = root
        self.calendar = calendar
        self.env = make_environment(root / "macros")
        self.models: dict[str, Model] = {}
        for path in sorted(root.rglob("*.sql")):
            if "macros" in path.relative_to(root).parts:
                continue
            model = parse_model_file(path, root)
            if model.name in self.models:
                other = self.models[model.name].path
                raise ModelError(f"{self._where(model)}:1: model name {model.name!r} is also used by {other}")
            self.models[model.name] = model
        self.deps: dict[str, Dependencies] = {name: self._dependencies(m) for name, m in self.models.items()}
        self.order = self._toposort()

    # --- rendering ----------------------------------------------------------
    def render(self, name: str, period_type: str | None = None, start: date | None = None, end: date | None = None) -> str:
        model = self.models[name]
        if model.period_scoped and (period_type is None or start is None or end is None):
            raise ValueError(f"{name} is period-scoped: give period_type, start and end")
        return self._render(model, RenderContext(period_type, start or self.calendar.start, end or self.calendar.start))

    def _render(self, model: Model, ctx: RenderContext) -> str:
        try:
            return render_model(model, self.env, self.calendar, self.models, ctx)
        except UnknownRef as e:
            raise ModelError(f"{self._where(model)}:{_line_of(model.source, e.name)}: {e}") from None
        except jinja2.TemplateSyntaxError as e:
            raise ModelError(f"{self._where(model)}:{e.lineno}: template error: {e.message}") from None
        except jinja2.UndefinedError as e:
            raise ModelError(f"{self._where(model)}:{_template_line(e)}: {e.message}") from None

    def render_checks(self, name: str, period_type: str | None = None, start: date | None = None,
                      end: date | None = None) -> list[tuple[str, str]]:
        """The model's reconcile checks rendered for the range: (name, query)."""
        model = self.models[name]
        ctx = RenderContext(period_type, start or self.calendar.start, end or self.calendar.start)
        out = []
        for check, text in model.checks.reconcile:
            try:
                out.append((check, render_model(model, self.env, self.calendar, self.models, ctx, text=text)))
            except (UnknownRef, jinja2.TemplateError) as e:
                raise ModelError(f"{self._where(model)}:1: check {check!r}: {e}") from None
        return out

    def _placeholder_render(self, model: Model) -> str:
        """The model alone (an ephemeral ref stays the placeholder relation
        ``ephemeral.<name>``), to find its direct dependencies."""
        p = self.calendar.first_period("weekly")
        return self._render(model, RenderContext("weekly" if model.period_scoped else None, p.start, p.end,
                                                 inline_ephemerals=False))

    # --- dependencies ---------------------------------------------------------
    def _dependencies(self, model: Model) -> Dependencies:
        sql = self._placeholder_render(model)
        try:
            statements = sqlglot.parse(sql, read="duckdb")
        except ParseError as e:
            first = e.errors[0] if e.errors else {}
            line = first.get("line", "?")
            raise ModelError(f"{self._where(model)}:{line}: SQL does not parse: {first.get('description', e)}") from None
        statements = [s for s in statements if s is not None]
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise ModelError(f"{self._where(model)}:1: a model is exactly one SELECT query")
        relations: set[str] = set()
        for scope in traverse_scope(statements[0]):
            for table in scope.tables:
                if not isinstance(table.this, exp.Identifier):
                    continue  # a table function such as generate_series()
                if not table.db:
                    if table.name in scope.cte_sources or _is_cte_anywhere(statements[0], table.name):
                        continue
                    raise ModelError(
                        f"{self._where(model)}:{_line_of(model.source, table.name)}: table {table.name!r} "
                        "is neither a CTE nor ref()/source(): reference models with ref() and sources with source()"
                    )
                relations.add(f"{table.db}.{table.name}")
        models, sources = [], []
        for rel in sorted(relations):
            schema, name = rel.split(".", 1)
            if name in self.models and self.models[name].relation("weekly") == rel:
                models.append(name)
            else:
                sources.append(rel)
        return Dependencies(tuple(models), tuple(sources))

    def _toposort(self) -> list[str]:
        sorter = TopologicalSorter({n: set(d.models) for n, d in self.deps.items()})
        try:
            return list(sorter.static_order())
        except CycleError as e:
            cycle = e.args[1]
            model = self.models[cycle[0]]
            raise ModelError(
                f"{self._where(model)}:1: dependency cycle: {' -> '.join(cycle)}"
            ) from None

    # --- helpers ----------------------------------------------------------------
    def _where(self, model: Model) -> str:
        try:
            return str(model.path.relative_to(self.root.parent))
        except ValueError:
            return str(model.path)

    def period_models(self) -> list[Model]:
        """The period models that materialize (one asset per period type each)."""
        return [self.models[n] for n in self.order if self.models[n].kind == "period"]

    def table_models(self) -> list[Model]:
        return [self.models[n] for n in self.order if self.models[n].kind == "table"]

    def upstream_period_models(self, name: str) -> list[str]:
        return [d for d in self.materialized_deps(name).models if self.models[d].period_scoped]

    def ephemerals_of(self, name: str) -> list[str]:
        """Every ephemeral model ``name`` reaches through ephemeral models, dependencies first."""
        out: list[str] = []

        def visit(n: str) -> None:
            for d in self.deps[n].models:
                if self.models[d].ephemeral and d not in out:
                    visit(d)
                    out.append(d)

        visit(name)
        return out

    def column_docs(self, name: str) -> dict[str, str]:
        """The column descriptions of ``name``'s header, and for the columns it
        does not describe, those of the ephemeral models it inlines."""
        docs: dict[str, str] = {}
        for n in self.ephemerals_of(name):
            docs.update(self.models[n].columns)
        return {**docs, **self.models[name].columns}

    def materialized_deps(self, name: str) -> Dependencies:
        """``name``'s dependencies with each ephemeral model replaced by its own:
        the tables the model's statement reads."""
        models: set[str] = set()
        sources: set[str] = set(self.deps[name].sources)
        for n in [name, *self.ephemerals_of(name)]:
            models.update(d for d in self.deps[n].models if not self.models[d].ephemeral)
            sources.update(self.deps[n].sources)
        return Dependencies(tuple(sorted(models)), tuple(sorted(sources)))


def _is_cte_anywhere(tree: exp.Expression, name: str) -> bool:
    return any(cte.alias == name for cte in tree.find_all(exp.CTE))


def _line_of(source: str, needle: str) -> int:
    """The line of the body (after the header) where ``needle`` is used:
    a ``ref('needle')``, a ``source('schema', 'table')`` or the bare name."""
    header = HEADER_RE.match(source)
    skip = source[: header.end()].count("\n") if header else 0
    q = r"['\"]"
    if "." in needle:
        schema, table = needle.split(".", 1)
        patterns = [rf"source\(\s*{q}{re.escape(schema)}{q}\s*,\s*{q}{re.escape(table)}{q}\s*\)"]
    else:
        patterns = [rf"ref\(\s*{q}{re.escape(needle)}{q}\s*\)"]
    patterns.append(rf"\b{re.escape(needle)}\b")
    lines = source.splitlines()
    for pattern in patterns:
        for i, line in enumerate(lines[skip:], skip + 1):
            if re.search(pattern, line):
                return i
    return skip + 1


def _template_line(error: Exception) -> int | str:
    tb = error.__traceback__
    line: int | str = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def load_project(calendar: PeriodCalendar, root: Path | None = None) -> ModelProject:
    return ModelProject(root or DEFAULT_MODELS_DIR, calendar)
