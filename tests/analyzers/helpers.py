"""Build only the models an analyzer test needs, through the real loader.

``Warehouse.build`` runs every period model; the analyzer tests build the
staging tables once per warehouse and then just the models asked for and
the period models upstream of them (``build_period_range``, as a run does).
"""

from __future__ import annotations

from datetime import date

from pipelines.modeling.materialize import build_period_range, build_tables, run_checks
from pipelines.warehouse.config_tables import write_config_tables
from tests.warehouse_builder import Warehouse


def build(wh: Warehouse, period_type: str, start: date, end: date, *models: str, staging: bool = True) -> None:
    """Compute ``models`` (and the period models they read) for the periods in [start, end) in one run each;
    fail on any failed model check."""
    if staging:
        write_config_tables(wh.con, wh.cfg)
        build_tables(wh.con, wh.project)
    order: list[str] = []

    def visit(name: str) -> None:
        for dep in wh.project.upstream_period_models(name):
            visit(dep)
        if name not in order:
            order.append(name)

    for name in models:
        visit(name)
    for name in order:
        result = build_period_range(wh.con, wh.project, name, period_type, start, end, run_id="test")
        failed = [c for c in run_checks(wh.con, wh.project.models[name], result.relation) if not c.passed]
        assert not failed, f"{period_type}/{name}: checks failed: {failed}"


def rows(wh: Warehouse, relation: str, order: str = "", **where) -> list[dict]:
    cond = " and ".join(f"{k} = ?" for k in where) or "true"
    return wh.rows(f"select * from {relation} where {cond}{' order by ' + order if order else ''}", list(where.values()))


def table(wh: Warehouse, relation: str) -> list[tuple]:
    """Every row of a table, sorted: for comparing two builds exactly."""
    return sorted(wh.con.execute(f"select * from {relation}").fetchall(), key=repr)
