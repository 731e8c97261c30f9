"""Publish the served tables to the serving store the API reads.

The API never opens the writer's DuckDB file. A publish copies every served
table (models with ``serve: true``, the partition ledger and the small
lookup tables) into a new DuckDB file ``v<version>.duckdb`` in the serving
directory, then points ``CURRENT`` at it with an atomic ``os.replace``.
Versions are increasing integers; the last few files are kept so that
requests in flight finish on the version they started with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .calendar import PERIOD_TYPES
from .modeling import ModelProject

POINTER = "CURRENT"
PUBLISH_DDL = """
create schema if not exists meta;
create table if not exists meta.publishes (
    version      integer primary key,
    published_at timestamp not null,
    run_id       varchar,
    tables       integer not null
);
"""
# Staging tables the API needs to answer (who exists, which teams).
SERVED_TABLE_MODELS = ("stg_developers", "stg_teams", "stg_team_members")
SERVED_EXTRA = ("meta.partition_ledger", "meta.sync_status", "config.workspaces", "config.teams",
                "config.working_schedules")

# Per workspace, period asset and type: the latest computed partition, the
# last ingest and how far the data lags behind (hours from the end of the
# latest computed period to the publish).
SYNC_STATUS_SQL = """
create or replace table meta.sync_status as
with latest as (
    select asset_key as asset, period_type, max(partition_key) as latest_partition,
           arg_max(computed_at, partition_key) as computed_at
    from meta.partition_ledger
    group by 1, 2
),
last_ingest as (
    select max(computed_at) as last_ingest_at from meta.late_data_batches
)
select
    workspaces.workspace_id,
    latest.asset,
    latest.period_type,
    latest.latest_partition,
    latest.computed_at,
    last_ingest.last_ingest_at,
    date_diff('second',
        cast(latest_partition as date) + case latest.period_type
            when 'daily' then interval 1 day when 'weekly' then interval 7 day
            when 'biweekly' then interval 14 day else interval 1 month end,
        cast(? as timestamp)) / 3600.0 as lag_hours
from latest
cross join last_ingest
cross join config.workspaces as workspaces
"""


@dataclass
class PublishResult:
    version: int
    path: Path
    tables: dict[str, int]


def served_relations(con: duckdb.DuckDBPyConnection, project: ModelProject) -> list[str]:
    existing = {
        f"{s}.{t}"
        for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    }
    wanted = [project.models[n].relation() for n in SERVED_TABLE_MODELS if n in project.models]
    wanted += list(SERVED_EXTRA)
    for model in project.period_models():
        if model.serve:
            wanted += [model.relation(pt) for pt in PERIOD_TYPES]
    return [r for r in wanted if r in existing]


def publish(con: duckdb.DuckDBPyConnection, project: ModelProject, serving_dir: Path, run_id: str | None = None,
            keep: int = 3) -> PublishResult:
    """Copy the served tables into a new serving file and switch to it."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    con.execute(PUBLISH_DDL)
    version = con.execute("select coalesce(max(version), 0) + 1 from meta.publishes").fetchall()[0][0]
    # A version file can outlive the warehouse (a deleted warehouse, a restore):
    # never reuse a number the serving directory has seen.
    version = max(version, current_version(serving_dir) + 1)
    final = serving_dir / f"v{version:06d}.duckdb"
    tmp = serving_dir / f".v{version:06d}.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    _write_sync_status(con, now)
    relations = served_relations(con, project)
    counts: dict[str, int] = {}
    con.execute(f"attach '{tmp}' as serving")
    try:
        for rel in relations:
            schema, name = rel.split(".")
            con.execute(f"create schema if not exists serving.{schema}")
            order = _order_by(con, rel)
            con.execute(f"create table serving.{schema}.{name} as select * from {rel}{order}")
            counts[rel] = con.execute(f"select count(*) from serving.{schema}.{name}").fetchall()[0][0]
        con.execute("create schema if not exists serving.meta")
        con.execute(
            "create table serving.meta.data_version as select ? as version, ? as published_at, ? as run_id",
            [version, now, run_id],
        )
    finally:
        con.execute("detach serving")
    _fsync(tmp)
    os.replace(tmp, final)
    _point_to(serving_dir, version)
    con.execute("insert into meta.publishes values (?, ?, ?, ?)", [version, now, run_id, len(counts)])
    _prune(serving_dir, keep)
    return PublishResult(version, final, counts)


def _write_sync_status(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    from .late_data import STATE_DDL
    from .modeling.materialize import ensure_meta

    ensure_meta(con)
    con.execute(STATE_DDL)
    con.execute("create schema if not exists config")
    con.execute("create table if not exists config.workspaces (workspace_id varchar)")
    con.execute(SYNC_STATUS_SQL, [now])


def _order_by(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """Store rows sorted by their lookup columns so reads prune by zonemaps."""
    schema, name = relation.split(".")
    cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name]).fetchall()}
    keys = [c for c in ("workspace_id", "period_start", "developer_id", "team_id") if c in cols]
    return f" order by {', '.join(keys)}" if keys else ""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point_to(serving_dir: Path, version: int) -> None:
    tmp = serving_dir / f".{POINTER}.tmp"
    tmp.write_text(json.dumps({"version": version, "file": f"v{version:06d}.duckdb"}))
    os.replace(tmp, serving_dir / POINTER)


def current_version(serving_dir: Path) -> int:
    try:
        return int(json.loads((serving_dir / POINTER).read_text())["version"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def _prune(serving_dir: Path, keep: int) -> None:
    versions = sorted(serving_dir.glob("v*.duckdb"))
    for old in versions[:-keep]:
        old.unlink(missing_ok=True)
