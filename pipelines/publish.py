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
SERVED_EXTRA = ("meta.partition_ledger", "config.workspaces", "config.teams", "config.working_schedules")


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
        now = datetime.now(timezone.utc).replace(tzinfo=None)
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
