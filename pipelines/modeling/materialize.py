"""Materialize models into DuckDB.

A table model is rebuilt whole (``create or replace`` in one transaction).
A period model writes a range of periods atomically: in one transaction it
deletes the range's rows, inserts what the model computes for the whole range
in one statement (straight into the table), and records each partition in
the ledger. The same code
serves one partition and a single-run backfill of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import duckdb

from ..calendar import PeriodCalendar
from .model import Model
from .project import ModelProject

LEDGER_DDL = """
create schema if not exists meta;
create table if not exists meta.partition_ledger (
    asset_key     varchar not null,   -- e.g. weekly/developer_velocity
    period_type   varchar not null,
    partition_key varchar not null,   -- ISO date of the period start
    run_id        varchar not null,
    computed_at   timestamp not null, -- UTC
    row_count     bigint not null,
    primary key (asset_key, partition_key)
);
"""


class ModelRunError(RuntimeError):
    """A model failed to run; the message names the model and the range."""


@dataclass
class BuildResult:
    relation: str
    row_count: int
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows_per_partition: dict[str, int] = field(default_factory=dict)
    schema_reset: bool = False


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)


def table_columns(con: duckdb.DuckDBPyConnection, relation: str, catalog: str | None = None
                  ) -> list[tuple[str, str]]:
    """(name, type) of ``relation``'s columns, in the connection's own database
    or in the attached database ``catalog``."""
    schema, name = relation.split(".")
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()


def in_transaction(con: duckdb.DuckDBPyConnection, what: str, fn):
    con.execute("begin transaction")
    try:
        out = fn()
        con.execute("commit")
        return out
    except BaseException as e:
        con.execute("rollback")
        if isinstance(e, duckdb.Error):
            raise ModelRunError(f"{what}: {e}") from e
        raise


def build_table(con: duckdb.DuckDBPyConnection, project: ModelProject, name: str) -> BuildResult:
    model = project.models[name]
    relation = model.relation()
    sql = project.render(name)
    order = f" order by {', '.join(model.unique_key)}" if model.unique_key else ""

    def run() -> int:
        con.execute(f"create schema if not exists {model.folder}")
        con.execute(f"create or replace table {relation} as select * from (\n{sql}\n) as m{order}")
        return con.execute(f"select count(*) from {relation}").fetchall()[0][0]

    count = in_transaction(con, f"model {name}", run)
    return BuildResult(relation, count, table_columns(con, relation))


def build_period_range(
    con: duckdb.DuckDBPyConnection,
    project: ModelProject,
    name: str,
    period_type: str,
    start: date,
    end: date,
    run_id: str,
) -> BuildResult:
    """Compute every ``period_type`` period in ``[start, end)`` of model ``name``."""
    model = project.models[name]
    calendar: PeriodCalendar = project.calendar
    relation = model.relation(period_type)
    asset_key = f"{period_type}/{name}"
    sql = project.render(name, period_type, start, end)
    what = f"model {name} ({period_type}, {start} to {end})"
    keys = [p.key for p in calendar.iter_periods(period_type, start, end)]
    result = BuildResult(relation, 0)

    def run() -> None:
        con.execute(f"create schema if not exists {period_type}")
        new_cols = [(r[0], r[1]) for r in con.execute(f"describe {sql}").fetchall()]  # binds, does not run
        if _table_exists(con, relation) and table_columns(con, relation) != new_cols:
            # The model's columns changed: its other partitions are stale in
            # shape too. Start the table over; the ledger forgets them so
            # sync-status shows what to backfill.
            con.execute(f"drop table {relation}")
            con.execute("delete from meta.partition_ledger where asset_key = ?", [asset_key])
            result.schema_reset = True
        if not _table_exists(con, relation):
            con.execute(f"create table {relation} as select * from (\n{sql}\n) as m limit 0")
        con.execute(f"delete from {relation} where period_start >= ? and period_start < ?", [start, end])
        # straight into the table (no temp copy of the rows): the range was
        # emptied above, so every row now in it is new, and a row the model
        # put outside it shows as inserted but not in the range
        inserted = con.execute(f"insert into {relation} by name select * from (\n{sql}\n) as m").fetchall()[0][0]
        counts = dict(con.execute(
            f"select cast(period_start as varchar), count(*) from {relation} "
            "where period_start >= ? and period_start < ? group by 1", [start, end]).fetchall())
        outside = inserted - sum(counts.values())
        if outside:
            raise ModelRunError(f"{what}: the model produced {outside} rows outside the requested periods")
        result.rows_per_partition = {k: counts.get(k, 0) for k in keys}
        result.row_count = sum(counts.values())
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        # one statement for the whole range (executemany is a statement per period)
        con.execute(
            "insert or replace into meta.partition_ledger "
            "select ?, ?, unnest(?::varchar[]), ?, ?, unnest(?::bigint[])",
            [asset_key, period_type, keys, run_id, now, [result.rows_per_partition[k] for k in keys]],
        )

    ensure_meta(con)
    in_transaction(con, what, run)
    result.columns = table_columns(con, relation)
    return result


def _table_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    failing_rows: int
    description: str


def run_checks(
    con: duckdb.DuckDBPyConnection, model: Model, relation: str, where: str = "true", params: list | None = None,
    reconcile: list[tuple[str, str]] = (),
) -> list[CheckOutcome]:
    """The model's checks over ``relation`` rows matching ``where``, and its
    rendered reconcile queries (each returns the violating rows)."""
    params = params or []
    out: list[CheckOutcome] = []

    def count(sql: str) -> int:
        return con.execute(sql, params).fetchall()[0][0]

    if model.unique_key:
        key = ", ".join(model.unique_key)
        n = count(
            f"select count(*) from (select {key} from {relation} where {where} group by {key} having count(*) > 1)"
        )
        out.append(CheckOutcome("unique_key", n == 0, n, f"({key}) is unique"))
    if model.checks.non_negative:
        cond = " or ".join(f"{c} < 0" for c in model.checks.non_negative)
        n = count(f"select count(*) from {relation} where ({where}) and ({cond})")
        out.append(CheckOutcome("non_negative", n == 0, n, f"{', '.join(model.checks.non_negative)} >= 0"))
    if model.checks.ratios:
        cond = " or ".join(f"{c} < 0 or {c} > 1 or {c} is null or isnan({c})" for c in model.checks.ratios)
        n = count(f"select count(*) from {relation} where ({where}) and ({cond})")
        out.append(CheckOutcome("ratios_in_unit_interval", n == 0, n, f"{', '.join(model.checks.ratios)} in [0, 1]"))
    for col, expr in model.checks.equal:
        n = count(f"select count(*) from {relation} where ({where}) and {col} is distinct from ({expr})")
        out.append(CheckOutcome(f"{col}_definition", n == 0, n, f"{col} = {expr}"))
    for name, query in reconcile:
        n = con.execute(f"select count(*) from (\n{query}\n) as violations").fetchall()[0][0]
        out.append(CheckOutcome(name, n == 0, n, "rows violating the reconciliation"))
    return out


def build_tables(con: duckdb.DuckDBPyConnection, project: ModelProject) -> dict[str, BuildResult]:
    """Rebuild every table model in dependency order."""
    return {m.name: build_table(con, project, m.name) for m in project.table_models()}


def build_periods(
    con: duckdb.DuckDBPyConnection, project: ModelProject, period_type: str, start: date, end: date, run_id: str
) -> dict[str, BuildResult]:
    """Compute every period model for the ``period_type`` periods in ``[start, end)``."""
    return {
        m.name: build_period_range(con, project, m.name, period_type, start, end, run_id)
        for m in project.period_models()
    }
