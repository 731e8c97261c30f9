"""`devlens demo --no-serve` from nothing to a published data version."""

import duckdb

from .conftest import run_cli


def test_demo_builds_every_period_type_and_publishes(demo_deployment):
    tmp, config, doc = demo_deployment
    # 21 days from 2024-01-01: every partition holding a period that overlaps them and has
    # ended; the daily assets' partition is the month, all 31 days of January
    partitions = {run["job"]: run["partitions"] for run in doc["backfill"]}
    periods = {run["job"]: run["periods"] for run in doc["backfill"]}
    assert partitions["daily_models_job"] == ["2024-01-01"] and periods["daily_models_job"] == 31
    assert partitions["weekly_models_job"] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert partitions["biweekly_models_job"] == ["2024-01-01", "2024-01-15"]
    assert partitions["monthly_models_job"] == ["2024-01-01"]
    # each period type ran as a single run (one run id per type)
    assert len({run["run_id"] for run in doc["backfill"]}) == 4
    assert doc["publish"]["rows"]["data_version"] == 1

    serving = tmp / ".devlens" / "serving"
    assert (serving / "CURRENT").exists() and (serving / "v000001.duckdb").exists()
    con = duckdb.connect(str(serving / "v000001.duckdb"), read_only=True)
    weekly = con.execute("select count(*), count(distinct developer_id) from weekly.developer_snapshot").fetchone()
    assert weekly[0] > 0 and weekly[1] >= 8
    ledger = con.execute(
        "select count(*) from meta.partition_ledger where asset_key = 'daily/developer_snapshot'"
    ).fetchall()[0][0]
    assert ledger == 31
    con.close()


def test_daily_counts_sum_to_weekly(demo_deployment):
    """Additive counts of 7 daily partitions equal the weekly partition (no averaging)."""
    tmp, _, _ = demo_deployment
    con = duckdb.connect(str(tmp / ".devlens" / "serving" / "v000001.duckdb"), read_only=True)
    daily = con.execute(
        "select developer_id, sum(commits_count), sum(prs_merged), sum(lines_added), sum(lines_removed) "
        "from daily.developer_snapshot where period_start >= date '2024-01-08' and period_start < date '2024-01-15' "
        "group by 1 having sum(commits_count) + sum(prs_merged) > 0 order by 1"
    ).fetchall()
    weekly = con.execute(
        "select developer_id, commits_count, prs_merged, lines_added, lines_removed from weekly.developer_snapshot "
        "where period_start = date '2024-01-08' and commits_count + prs_merged > 0 order by 1"
    ).fetchall()
    assert daily and daily == weekly
    con.close()


def test_publish_again_makes_a_new_version(demo_deployment):
    tmp, config, _ = demo_deployment
    proc = run_cli(tmp, config, "publish", "--json")
    assert '"data_version": 2' in proc.stdout


def test_bad_config_is_reported_without_traceback(tmp_path):
    bad = tmp_path / "devlens.yaml"
    bad.write_text("workspaces:\n  - id: acme\n    sourcez: []\n")
    proc = run_cli(tmp_path, bad, "backfill", "--from", "2024-01-01", "--to", "2024-01-07", check=False)
    assert proc.returncode == 2
    assert "devlens.yaml:3: workspaces[0].sourcez: unknown key" in proc.stderr
    assert "Traceback" not in proc.stderr
