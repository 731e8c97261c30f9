"""Build small, hand-made warehouses for metric tests.

Rows go through the real raw writer and the real config tables, and models
run through the real loader on a real DuckDB file, so a test exercises the
same path as a pipeline run without Dagster's per-run overhead.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.calendar import PeriodCalendar
from pipelines.config import parse_config
from pipelines.modeling import load_project
from pipelines.modeling.materialize import build_periods, build_tables
from pipelines.warehouse.config_tables import write_config_tables
from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

BASE_CONFIG = """
calendar: {start: 2024-01-01, biweekly_anchor: 2024-01-01}
workspaces:
  - id: acme
"""


def ts(text: str) -> datetime:
    """'2024-03-04 10:00' -> naive UTC datetime."""
    return datetime.fromisoformat(text)


class Warehouse:
    def __init__(self, path: Path, config_yaml: str = BASE_CONFIG):
        self.con = duckdb.connect(str(path))
        self.cfg = parse_config(config_yaml, path.with_suffix(".yaml"))
        self.calendar = PeriodCalendar.from_config(self.cfg)
        self.project = load_project(self.calendar)
        ensure_raw_schema(self.con)

    def add(self, table: str, rows: list[dict]) -> None:
        upsert(self.con, table, pa.Table.from_pylist(rows), run_id="test")

    def repo(self, repository: str, workspace_id: str = "acme", **kw) -> None:
        self.add("repositories", [dict(repository=repository, source="demo", **kw)])
        self.add("workspace_repositories", [dict(workspace_id=workspace_id, repository=repository)])

    def build(self, period_type: str, start: date, end: date) -> None:
        write_config_tables(self.con, self.cfg)
        build_tables(self.con, self.project)
        build_periods(self.con, self.project, period_type, start, end, run_id="test")

    def rows(self, sql: str, params=None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def one(self, relation: str, **where) -> dict:
        cond = " and ".join(f"{k} = ?" for k in where) or "true"
        rows = self.rows(f"select * from {relation} where {cond}", list(where.values()))
        assert len(rows) == 1, f"expected one row of {relation} where {where}, got {len(rows)}"
        return rows[0]
