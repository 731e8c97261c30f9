"""`devlens prune`: the tables and ledger rows of period models that no longer
exist are listed, and dropped with --apply; nothing else is touched."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from pipelines.cli import main
from tests.e2e.conftest import demo_config


def warehouse_with_leftovers(config) -> str:
    from pipelines.config import load_config
    from pipelines.context import DevLens

    path = DevLens(load_config(config)).warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema meta")
    con.execute("create table meta.partition_ledger (asset_key varchar not null, period_type varchar not null, "
                "partition_key varchar not null, run_id varchar not null, computed_at timestamp not null, "
                "row_count bigint not null, primary key (asset_key, partition_key))")
    con.execute("create schema weekly")
    for name in ("developer_velocity", "developer_snapshot", "my_notes"):
        con.execute(f"create table weekly.{name} as select 1 as x")
    ledger = [("weekly/developer_velocity", "2024-01-01"), ("weekly/developer_velocity", "2024-01-08"),
              ("daily/developer_periods", "2024-01-01"),  # its table is gone already
              ("weekly/developer_snapshot", "2024-01-01")]
    con.executemany("insert into meta.partition_ledger values (?, ?, ?, 'r', ?, 1)",
                    [(a, a.split("/")[0], k, datetime(2024, 2, 1)) for a, k in ledger])
    con.close()
    return str(path)


def run(capsys, config, *args) -> dict:
    assert main(["--config", str(config), "prune", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_prune_lists_then_drops_only_what_devlens_left_behind(tmp_path, capsys):
    config = demo_config(tmp_path, extra_workspace=False)
    path = warehouse_with_leftovers(config)

    listed = run(capsys, config)
    assert listed == {"applied": False, "orphans": [
        {"asset_key": "daily/developer_periods", "table": "daily.developer_periods", "table_exists": False,
         "ledger_rows": 1},
        {"asset_key": "weekly/developer_velocity", "table": "weekly.developer_velocity", "table_exists": True,
         "ledger_rows": 2},
    ]}
    con = duckdb.connect(path, read_only=True)
    assert con.execute("select count(*) from weekly.developer_velocity").fetchone()[0] == 1  # only listed
    con.close()

    applied = run(capsys, config, "--apply")
    assert applied["applied"] and len(applied["orphans"]) == 2
    con = duckdb.connect(path, read_only=True)
    tables = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                        "where table_schema = 'weekly'").fetchall()}
    ledger = {a for (a,) in con.execute("select distinct asset_key from meta.partition_ledger").fetchall()}
    con.close()
    # the current model's table and a table with no ledger rows (not DevLens's) stay
    assert tables == {"developer_snapshot", "my_notes"}
    assert ledger == {"weekly/developer_snapshot"}
    assert run(capsys, config) == {"applied": False, "orphans": []}
