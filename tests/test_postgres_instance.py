"""A partitioned materialization on a Dagster instance stored in PostgreSQL.

Uses the real server at 127.0.0.1:5432 (user postgres, trust auth); the test
creates and drops its own database. With no server it fails rather than
skips, unless DEVLENS_SKIP_POSTGRES=1 says to skip on purpose (README).
"""

import os
import uuid
from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import psycopg2
import pyarrow as pa
import pytest

from pipelines.automation import late_data_requests
from pipelines.config import load_config
from pipelines.context import DevLens
from pipelines.definitions import period_job_name
from pipelines.runner import Runner
from pipelines.warehouse.raw_writer import upsert
from tests.e2e.conftest import demo_config

PG = dict(host=os.environ.get("DEVLENS_PG_HOST", "127.0.0.1"), port=int(os.environ.get("DEVLENS_PG_PORT", "5432")),
          user=os.environ.get("DEVLENS_PG_USER", "postgres"))

pytestmark = pytest.mark.skipif(
    os.environ.get("DEVLENS_SKIP_POSTGRES") == "1", reason="DEVLENS_SKIP_POSTGRES=1: PostgreSQL tests skipped on purpose"
)


@pytest.fixture
def pg_database():
    name = f"devlens_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as e:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG['host']}:{PG['port']} ({e}). Start it, or set "
            "DEVLENS_SKIP_POSTGRES=1 to skip the PostgreSQL tests on purpose."
        )
    admin.autocommit = True
    admin.cursor().execute(f"create database {name}")
    try:
        yield name
    finally:
        admin.cursor().execute(f"drop database if exists {name} with (force)")
        admin.close()


def test_partitioned_run_on_postgres_instance(tmp_path, pg_database):
    overrides = {
        "storage": {
            "postgres": {
                "postgres_db": {"hostname": PG["host"], "port": PG["port"], "username": PG["user"],
                                "password": "", "db_name": pg_database}
            }
        }
    }
    config = demo_config(tmp_path, developers=6, days=14, extra_workspace=False)
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runner = Runner(DevLens(load_config(config)), instance)
        runner.ingest()
        runner.backfill(date(2024, 1, 1), date(2024, 1, 14), ["weekly", "biweekly"],
                        now=datetime(2024, 2, 1, tzinfo=timezone.utc))
        single = runner._execute(period_job_name("weekly"), partition_key="2024-01-08")

        # the late-data sensor on the same instance: a late review on a PR requests its periods
        first_batch = instance.fetch_materializations(dg.AssetKey(["meta", "late_data"]), limit=1).records[0]
        wh = runner.devlens.warehouse_path
        con = duckdb.connect(str(wh))
        pr = con.execute("select repository, number from raw.pull_requests where merged_at is not null "
                         "and created_at >= timestamp '2024-01-08' and merged_at < timestamp '2024-01-15' "
                         "order by 1, 2 limit 1").fetchall()[0]
        upsert(con, "reviews", pa.Table.from_pylist([dict(
            review_id=880001, repository=pr[0], pr_number=pr[1], reviewer_login="heidi", state="COMMENTED",
            submitted_at=datetime(2024, 1, 12, 9, 0))]), "late")
        con.close()
        runner.ingest()
        result = late_data_requests(runner.devlens, instance, str(first_batch.storage_id),
                                    datetime(2024, 2, 1, tzinfo=timezone.utc))
        weekly = [r for r in result.run_requests if r.job_name == period_job_name("weekly")]
        assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                for r in weekly] == [("2024-01-08", "2024-01-08")]

        # the runs, their partitions and the biweekly keys live in PostgreSQL
        weekly_key = dg.AssetKey(["weekly", "developer_snapshot"])
        materialized = instance.get_materialized_partitions(weekly_key)
        assert materialized == {"2024-01-01", "2024-01-08"}
        # every biweekly period ended by 2024-02-01: [01-01, 01-15) and [01-15, 01-29)
        assert instance.get_dynamic_partitions("biweekly_periods") == ["2024-01-01", "2024-01-15"]
        assert instance.get_run_by_id(single.run_id).tags["dagster/partition"] == "2024-01-08"

    # and the Dagster storage really is in our database
    conn = psycopg2.connect(dbname=pg_database, **PG)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from runs")
        assert cur.fetchall()[0][0] >= 4
    conn.close()
    con = duckdb.connect(str(tmp_path / ".devlens" / "warehouse.duckdb"), read_only=True)
    assert con.execute("select count(*) from weekly.developer_snapshot").fetchall()[0][0] > 0
    con.close()
