"""A single-run backfill gives the same rows as one run per partition, and
re-running a partition changes nothing (through real Dagster runs)."""

from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pytest

from pipelines.config import load_config
from pipelines.context import DevLens
from pipelines.definitions import period_job_name
from pipelines.runner import Runner

from .conftest import demo_config

NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


def rows(path, period_type):
    """Every period model's rows (all of them, in a fixed order)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [period_type]
        ).fetchall()]
        return {t: con.execute(f"select * from {period_type}.{t} order by all").fetchall() for t in tables}
    finally:
        con.close()


@pytest.fixture
def runner_factory(tmp_path):
    instances = []

    def make(name: str) -> Runner:
        folder = tmp_path / name
        folder.mkdir()
        config = demo_config(folder, developers=8, days=28, extra_workspace=False)
        cfg = load_config(config)
        (folder / "dagster").mkdir()
        instance = dg.instance_for_test(temp_dir=str(folder / "dagster"))
        inst = instance.__enter__()
        instances.append(instance)
        runner = Runner(DevLens(cfg), inst)
        runner.ingest()
        return runner

    yield make
    for ctx in instances:
        ctx.__exit__(None, None, None)


# Daily: two month partitions (January with data, February without), 60 periods computed in
# one statement per model by the single run. The other period types share the code path
# (their partitions are single periods); the late-data test also runs partial ranges of them.
@pytest.mark.parametrize(("period_type", "last_day"), [("daily", date(2024, 2, 29))])
def test_single_run_backfill_equals_per_partition_runs(runner_factory, period_type, last_day):
    single = runner_factory("single")
    single.backfill(date(2024, 1, 1), last_day, [period_type], now=NOW)

    per_partition = runner_factory("per_partition")
    calendar = per_partition.devlens.calendar
    periods = calendar.periods_for_range(period_type, date(2024, 1, 1), last_day, NOW)
    partitions = calendar.partition_keys(period_type, periods)
    assert len(partitions) == 2
    from pipelines.calendar import NOW_TAG, register_biweekly_partitions

    register_biweekly_partitions(per_partition.instance, calendar, NOW)
    for key in partitions:
        per_partition._execute(period_job_name(period_type), partition_key=key, tags={NOW_TAG: NOW.isoformat()})

    a = rows(single.devlens.warehouse_path, period_type)
    b = rows(per_partition.devlens.warehouse_path, period_type)
    assert {"developer_snapshot", "group_snapshot", "repository_bus_factor"} <= set(a)
    assert a["developer_snapshot"] and a == b

    # re-running one partition changes nothing
    per_partition._execute(period_job_name(period_type), partition_key=partitions[1], tags={NOW_TAG: NOW.isoformat()})
    assert rows(per_partition.devlens.warehouse_path, period_type) == b

    # the single run recorded one run id for every partition in the ledger
    con = duckdb.connect(str(single.devlens.warehouse_path), read_only=True)
    run_ids = con.execute(
        "select count(distinct run_id), count(*) from meta.partition_ledger where asset_key = ?",
        [f"{period_type}/developer_snapshot"],
    ).fetchone()
    con.close()
    assert run_ids == (1, len(periods))
