"""Publishing: each version holds exactly the warehouse's served tables, and a
publish after a few recomputed partitions replaces only those in a copy of the
previous version (real Dagster runs on a small demo organisation)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from pipelines.config import load_config
from pipelines.context import DevLens
from pipelines.publish import current_version, publish, served_relations
from pipelines.runner import Runner
from pipelines.warehouse.raw_writer import upsert
from tests.e2e.conftest import demo_config

NOW = datetime(2024, 2, 5, tzinfo=timezone.utc)
WEEK = date(2024, 1, 15)


def serving_file(devlens: DevLens):
    return devlens.serving_dir / f"v{current_version(devlens.serving_dir):06d}.duckdb"


def assert_serves_the_warehouse(devlens: DevLens) -> None:
    """Every served table of the current version has the warehouse's rows, no more, no fewer."""
    con = duckdb.connect(str(devlens.warehouse_path), read_only=True)
    con.execute(f"attach '{serving_file(devlens)}' as serving (read_only)")
    relations = served_relations(con, devlens.project)
    assert "weekly.developer_snapshot" in relations
    for rel in relations:
        for a, b in ((rel, f"serving.{rel}"), (f"serving.{rel}", rel)):
            n = con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[0]
            assert n == 0, f"{rel}: {n} rows of {a} are not in {b}"
    con.close()


def alice_commits(devlens: DevLens) -> int:
    con = duckdb.connect(str(serving_file(devlens)), read_only=True)
    n = con.execute("select commits_count from weekly.developer_snapshot where developer_id = 'alice' "
                    "and period_start = ?", [WEEK]).fetchone()[0]
    con.close()
    return n


@pytest.fixture
def deployment(tmp_path):
    config = demo_config(tmp_path, developers=6, days=35, extra_workspace=False)
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        runner = Runner(DevLens(load_config(config)), instance)
        runner.ingest(NOW)
        runner.backfill(date(2024, 1, 1), date(2024, 2, 4), ["daily", "weekly"], now=NOW)
        yield runner


def test_a_publish_after_a_recomputed_week_replaces_only_that_week(deployment):
    runner, devlens = deployment, deployment.devlens
    con = duckdb.connect(str(devlens.warehouse_path))
    first = publish(con, devlens.project, devlens.serving_dir)
    assert not first.incremental and set(first.modes.values()) == {"copied"}
    con.close()
    assert_serves_the_warehouse(devlens)
    before = alice_commits(devlens)

    # a late commit by alice in the week of 01-15, then that week recomputed
    con = duckdb.connect(str(devlens.warehouse_path))
    upsert(con, "commits", pa.Table.from_pylist([dict(
        repository="demo/api", sha="f" * 40, author_login="alice", author_email="alice@example.com",
        authored_at=datetime(2024, 1, 17, 10, 0), committed_at=datetime(2024, 1, 17, 10, 0),
        message="fix: late", parent_count=1, additions=5, deletions=1, on_default_branch=True)]), "late")
    con.close()
    runner.ingest(NOW)
    runner.backfill(WEEK, WEEK, ["weekly"], now=NOW)

    con = duckdb.connect(str(devlens.warehouse_path))
    second = publish(con, devlens.project, devlens.serving_dir)
    con.close()
    assert second.incremental and second.version == first.version + 1
    # 1 = 01-15 ... 01-21 of the weekly served tables; nothing else was recomputed
    assert second.modes["weekly.developer_snapshot"] == "updated"
    assert second.modes["weekly.group_snapshot"] == "updated"
    assert second.modes["daily.developer_snapshot"] == "kept"
    assert second.modes["staging.stg_developers"] == "copied"  # the small lookup tables always are
    assert_serves_the_warehouse(devlens)
    assert alice_commits(devlens) == before + 1

    # nothing recomputed: every period table kept, still identical
    con = duckdb.connect(str(devlens.warehouse_path))
    third = publish(con, devlens.project, devlens.serving_dir)
    con.close()
    assert third.incremental and {m for r, m in third.modes.items() if r.split(".")[0] in
                                  ("daily", "weekly")} == {"kept"}
    assert_serves_the_warehouse(devlens)


def test_without_the_previous_version_file_everything_is_copied(deployment):
    devlens = deployment.devlens
    con = duckdb.connect(str(devlens.warehouse_path))
    # a ledger row of a model that no longer has an asset (the category models became ephemeral)
    con.execute("insert into meta.partition_ledger values "
                "('weekly/developer_velocity', 'weekly', '2024-01-08', 'old', timestamp '2024-01-15', 6)")
    publish(con, devlens.project, devlens.serving_dir)
    serving_file(devlens).unlink()
    again = publish(con, devlens.project, devlens.serving_dir)
    con.close()
    assert not again.incremental and set(again.modes.values()) == {"copied"}
    assert_serves_the_warehouse(devlens)
    served = duckdb.connect(str(serving_file(devlens)), read_only=True)
    assets = {a for (a,) in served.execute("select distinct asset from meta.sync_status").fetchall()}
    served.close()
    # sync-status lists the assets there are, not the ledger's leftovers
    assert "weekly/developer_snapshot" in assets and "weekly/developer_velocity" not in assets


def test_a_store_grown_past_its_last_full_copy_is_copied_afresh(deployment, monkeypatch):
    from pipelines import publish as publishing

    devlens = deployment.devlens
    con = duckdb.connect(str(devlens.warehouse_path))
    publish(con, devlens.project, devlens.serving_dir)
    assert publish(con, devlens.project, devlens.serving_dir).incremental
    monkeypatch.setattr(publishing, "INCREMENTAL_MAX_GROWTH", 0.5)  # any file is "grown" now
    monkeypatch.setattr(publishing, "INCREMENTAL_GROWTH_SLACK", 0)
    again = publish(con, devlens.project, devlens.serving_dir)
    con.close()
    assert not again.incremental and set(again.modes.values()) == {"copied"}
    assert_serves_the_warehouse(devlens)


def test_a_recomputed_month_of_daily_periods_is_copied_whole(deployment):
    """Replacing more than a quarter of a table's rows copies it whole instead."""
    runner, devlens = deployment, deployment.devlens
    con = duckdb.connect(str(devlens.warehouse_path))
    publish(con, devlens.project, devlens.serving_dir)
    con.close()
    runner.backfill(date(2024, 1, 1), date(2024, 1, 31), ["daily"], now=NOW)  # January: most daily rows
    con = duckdb.connect(str(devlens.warehouse_path))
    result = publish(con, devlens.project, devlens.serving_dir)
    con.close()
    assert result.incremental and result.modes["daily.developer_snapshot"] == "copied"
    assert result.modes["weekly.developer_snapshot"] == "kept"
    assert_serves_the_warehouse(devlens)
