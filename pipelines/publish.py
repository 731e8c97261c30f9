"""Publish the served tables to the serving store the API reads.

The API never opens the writer's DuckDB file. A publish writes every served
table (models with ``serve: true``, the partition ledger and the small
lookup tables) into a new DuckDB file ``v<version>.duckdb`` in the serving
directory, then points ``CURRENT`` at it with an atomic ``os.replace``.
Versions are increasing integers; the last few files are kept so that
requests in flight finish on the version they started with.

A publish is incremental when it can be: when the current version is this
warehouse's previous publish, the new file starts as a copy of it and only
the partitions recomputed since are replaced in
each served period table, so a nightly publish costs the night's periods,
not the whole history. Which partitions changed is read off the two
partition ledgers, the warehouse's and the copy's (a partition whose run id
or ``computed_at`` differs, or that only one of them has), so it does not
depend on clocks. A served table whose columns changed, that the copy lacks,
or whose changed rows are a large share of it, is copied whole, as are the
small lookup tables; without a usable previous version everything is.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .calendar import PERIOD_TYPES
from .modeling import ModelProject
from .modeling.materialize import table_columns

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
# latest computed period to the publish). Only the assets the project has
# now: the ledger keeps the rows of a model that was removed or became
# ephemeral.
SYNC_STATUS_SQL = """
create or replace table meta.sync_status as
with latest as (
    select asset_key as asset, period_type, max(partition_key) as latest_partition,
           arg_max(computed_at, partition_key) as computed_at
    from meta.partition_ledger
    where asset_key in (select unnest(?::varchar[]))
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


# Replace a table whole instead of its changed partitions when they hold more
# than this share of its rows (deleted rows stay in the copied file until
# their row group is rewritten).
INCREMENTAL_MAX_SHARE = 0.25
# Copy everything afresh once incremental versions have grown the file past
# this share of the last full copy plus a slack (a night's update adds a few
# MB of segments and freed blocks to a year's 380 MB: bench/README.md
# "Publish"; the slack keeps a small store from recopying every time).
INCREMENTAL_MAX_GROWTH = 1.25
INCREMENTAL_GROWTH_SLACK = 64 * 2**20


@dataclass
class PublishResult:
    version: int
    path: Path
    tables: dict[str, int]
    # how each table got into the new version: 'copied' whole, 'updated' (its
    # changed partitions replaced in the previous version's copy) or 'kept'
    modes: dict[str, str] = field(default_factory=dict)
    incremental: bool = False


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
    """Write the served tables into a new serving file and switch to it."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    con.execute(PUBLISH_DDL)
    version = con.execute("select coalesce(max(version), 0) + 1 from meta.publishes").fetchall()[0][0]
    # A version file can outlive the warehouse (a deleted warehouse, a restore):
    # never reuse a number the serving directory has seen.
    current = current_version(serving_dir)
    version = max(version, current + 1)
    final = serving_dir / f"v{version:06d}.duckdb"
    tmp = serving_dir / f".v{version:06d}.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    _write_sync_status(con, now, [f"{pt}/{m.name}" for m in project.period_models() for pt in PERIOD_TYPES])
    relations = served_relations(con, project)
    period_relations = {m.relation(pt): f"{pt}/{m.name}" for m in project.period_models() if m.serve
                        for pt in PERIOD_TYPES}
    base_bytes = None  # the size of the last full copy this version derives from
    if _is_previous_publish(con, serving_dir, current):
        previous = serving_dir / f"v{current:06d}.duckdb"
        shutil.copyfile(previous, tmp)
        con.execute(f"attach '{tmp}' as serving")
        base_bytes = _base_bytes(con, previous)
        con.execute("detach serving")
        if previous.stat().st_size > INCREMENTAL_MAX_GROWTH * base_bytes + INCREMENTAL_GROWTH_SLACK:
            tmp.unlink()
            base_bytes = None
    incremental = base_bytes is not None
    result = PublishResult(version, final, {}, incremental=incremental)
    con.execute(f"attach '{tmp}' as serving")
    try:
        in_copy = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'serving'"
        ).fetchall()}
        # before the copy's ledger is replaced with the warehouse's
        changed = _changed_partitions(con) if incremental and "meta.partition_ledger" in in_copy else None
        for rel in relations:
            mode = "copied"
            if changed is not None and rel in period_relations and rel in in_copy:
                mode = _update_changed(con, rel, changed.get(period_relations[rel], []))
            if mode == "copied":
                _copy_whole(con, rel, rel in in_copy)
            result.modes[rel] = mode
            result.tables[rel] = con.execute(f"select count(*) from serving.{rel}").fetchall()[0][0]
        for gone in in_copy - set(relations) - {"meta.data_version"}:
            con.execute(f"drop table serving.{gone}")  # no longer served
        con.execute("create schema if not exists serving.meta")
        con.execute(
            "create or replace table serving.meta.data_version as "
            "select ? as version, ? as published_at, ? as run_id, cast(? as bigint) as base_bytes",
            [version, now, run_id, base_bytes],
        )
    finally:
        con.execute("detach serving")
    _fsync(tmp)
    os.replace(tmp, final)
    _point_to(serving_dir, version)
    con.execute("insert into meta.publishes values (?, ?, ?, ?)", [version, now, run_id, len(result.tables)])
    _prune(serving_dir, keep)
    return result


def _is_previous_publish(con: duckdb.DuckDBPyConnection, serving_dir: Path, current: int) -> bool:
    """Whether the serving directory's current version is this warehouse's last publish, and its file is there."""
    if not current or not (serving_dir / f"v{current:06d}.duckdb").is_file():
        return False
    row = con.execute("select max(version) from meta.publishes").fetchone()
    return bool(row) and row[0] == current


def _base_bytes(con: duckdb.DuckDBPyConnection, previous: Path) -> int:
    """The size of the full copy the attached copy of ``previous`` derives from
    (``previous`` itself when it is one)."""
    has = con.execute("select count(*) from information_schema.columns where table_catalog = 'serving' "
                      "and table_schema = 'meta' and table_name = 'data_version' and column_name = 'base_bytes'"
                      ).fetchone()[0]
    base = con.execute("select base_bytes from serving.meta.data_version").fetchone()[0] if has else None
    return base if base is not None else previous.stat().st_size


def _changed_partitions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """asset key -> the partition keys whose ledger rows differ between the warehouse and the copy."""
    rows = con.execute("""
        select coalesce(w.asset_key, s.asset_key), coalesce(w.partition_key, s.partition_key)
        from meta.partition_ledger w
        full join serving.meta.partition_ledger s
          on s.asset_key = w.asset_key and s.partition_key = w.partition_key
        where w.asset_key is null or s.asset_key is null
           or w.run_id is distinct from s.run_id or w.computed_at is distinct from s.computed_at
    """).fetchall()
    out: dict[str, list[str]] = {}
    for asset, key in rows:
        out.setdefault(asset, []).append(key)
    return out


def _copy_whole(con: duckdb.DuckDBPyConnection, rel: str, replace: bool) -> None:
    schema, name = rel.split(".")
    con.execute(f"create schema if not exists serving.{schema}")
    create = "create or replace table" if replace else "create table"
    con.execute(f"{create} serving.{schema}.{name} as select * from {rel}{_order_by(con, rel)}")


def _update_changed(con: duckdb.DuckDBPyConnection, rel: str, changed: list[str]) -> str:
    """Replace in the copy the ``changed`` partitions of ``rel``: 'kept' (none),
    'updated', or 'copied' when the table must be copied whole."""
    if table_columns(con, rel, "serving") != table_columns(con, rel):
        return "copied"
    if not changed:
        return "kept"
    starts = "select cast(unnest(?::varchar[]) as date)"
    n_changed, n_total = con.execute(
        f"select count(*) filter (where period_start in ({starts})), count(*) from serving.{rel}", [changed]
    ).fetchone()
    if n_total and n_changed > INCREMENTAL_MAX_SHARE * n_total:
        return "copied"
    con.execute(f"delete from serving.{rel} where period_start in ({starts})", [changed])
    con.execute(f"insert into serving.{rel} select * from {rel} where period_start in ({starts}){_order_by(con, rel)}",
                [changed])
    return "updated"


def _write_sync_status(con: duckdb.DuckDBPyConnection, now: datetime, asset_keys: list[str]) -> None:
    from .late_data import STATE_DDL
    from .modeling.materialize import ensure_meta

    ensure_meta(con)
    con.execute(STATE_DDL)
    con.execute("create schema if not exists config")
    con.execute("create table if not exists config.workspaces (workspace_id varchar)")
    con.execute(SYNC_STATUS_SQL, [asset_keys, now])


def _order_by(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """Store rows sorted by their lookup columns so reads prune by zonemaps."""
    cols = {c for c, _ in table_columns(con, relation)}  # the warehouse's, not the attached copy's
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
