"""Drop the period tables of models the project no longer materializes.

A model that is removed, renamed or made ephemeral leaves its tables
(``<period_type>.<model>``) and its partition-ledger rows behind. Only tables
DevLens wrote are candidates: those whose asset key is in the ledger. A
table in those schemas without ledger rows (someone's own) is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..calendar import PERIOD_TYPES
from .materialize import ensure_meta, in_transaction
from .project import ModelProject


@dataclass(frozen=True)
class Orphan:
    asset_key: str       # e.g. weekly/developer_velocity
    relation: str        # weekly.developer_velocity
    table_exists: bool
    ledger_rows: int


def find_orphans(con: duckdb.DuckDBPyConnection, project: ModelProject) -> list[Orphan]:
    """The ledger's asset keys that no period model of ``project`` has, with their tables."""
    ensure_meta(con)
    current = {f"{pt}/{m.name}" for m in project.period_models() for pt in PERIOD_TYPES}
    tables = {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall()}
    out = []
    for asset_key, n in con.execute(
        "select asset_key, count(*) from meta.partition_ledger group by 1 order by 1"
    ).fetchall():
        if asset_key in current or "/" not in asset_key:
            continue
        relation = asset_key.replace("/", ".", 1)
        out.append(Orphan(asset_key, relation, relation in tables, n))
    return out


def prune(con: duckdb.DuckDBPyConnection, orphans: list[Orphan]) -> None:
    """Drop the orphans' tables and forget their ledger rows, in one transaction."""

    def drop() -> None:
        for o in orphans:
            con.execute(f"drop table if exists {o.relation}")
            con.execute("delete from meta.partition_ledger where asset_key = ?", [o.asset_key])

    in_transaction(con, "prune", drop)
