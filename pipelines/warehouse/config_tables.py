"""Write the workspace configuration into the warehouse ``config`` schema.

SQL models read teams, bots, identity aliases and working schedules from
these tables (``source('config', ...)``), so that config changes flow
through the same lineage as data. Rewritten whole on every ingest run.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ..config import DevLensConfig

CONFIG_TABLES: dict[str, pa.Schema] = {
    "workspaces": pa.schema(
        [("workspace_id", pa.string()), ("default_timezone", pa.string()),
         ("working_days", pa.list_(pa.string())), ("teams_from_github", pa.bool_())]
    ),
    "teams": pa.schema([("workspace_id", pa.string()), ("team_id", pa.string()), ("name", pa.string())]),
    "team_members": pa.schema([("workspace_id", pa.string()), ("team_id", pa.string()), ("developer_id", pa.string())]),
    "bots": pa.schema([("workspace_id", pa.string()), ("login", pa.string())]),
    "identities": pa.schema([("workspace_id", pa.string()), ("developer_id", pa.string()), ("email", pa.string())]),
    "working_schedules": pa.schema(
        [("workspace_id", pa.string()), ("developer_id", pa.string()), ("timezone", pa.string()),
         ("working_days", pa.list_(pa.string()))]
    ),
}


def config_rows(cfg: DevLensConfig) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {name: [] for name in CONFIG_TABLES}
    for ws in cfg.workspaces:
        rows["workspaces"].append(
            dict(workspace_id=ws.id, default_timezone=ws.settings.default_timezone,
                 working_days=list(ws.settings.working_days), teams_from_github=ws.teams_from_github)
        )
        for team in ws.teams:
            rows["teams"].append(dict(workspace_id=ws.id, team_id=team.id, name=team.name or team.id))
            rows["team_members"] += [dict(workspace_id=ws.id, team_id=team.id, developer_id=m) for m in team.members]
        rows["bots"] += [dict(workspace_id=ws.id, login=b) for b in ws.bots]
        for dev, emails in ws.identities.items():
            rows["identities"] += [dict(workspace_id=ws.id, developer_id=dev, email=e) for e in emails]
        for dev, sched in ws.working_schedules.items():
            rows["working_schedules"].append(
                dict(workspace_id=ws.id, developer_id=dev, timezone=sched.timezone,
                     working_days=list(sched.working_days) if sched.working_days is not None else None)
            )
    return rows


def write_config_tables(con: duckdb.DuckDBPyConnection, cfg: DevLensConfig) -> dict[str, int]:
    """Replace every config table in one transaction; return row counts."""
    counts = {}
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists config")
        for name, rows in config_rows(cfg).items():
            table = pa.Table.from_pylist(rows, schema=CONFIG_TABLES[name])
            con.register("_config_rows", table)
            con.execute(f"create or replace table config.{name} as select * from _config_rows")
            con.unregister("_config_rows")
            counts[name] = table.num_rows
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
