"""The period-closing schedules, ticked for given times on a real instance."""

from datetime import datetime, timezone

import dagster as dg
import pytest

from pipelines.config import parse_config
from pipelines.context import DevLens
from pipelines.definitions import build_definitions

CONFIG = """
calendar: {start: 2024-01-01, biweekly_anchor: 2024-01-01}
workspaces:
  - id: acme
"""


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "devlens.yaml"
    path.write_text(CONFIG)
    return build_definitions(DevLens(parse_config(CONFIG, path)))


def tick(defs, when: datetime) -> dict[str, list]:
    """{schedule name: [(job, partition key)]} for a tick at ``when`` (UTC)."""
    out = {}
    with dg.instance_for_test() as instance:
        for schedule in defs.schedules:
            context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when,
                                                repository_def=defs.get_repository_def())
            result = schedule.evaluate_tick(context)
            out[schedule.name] = [(schedule.job_name, r.partition_key) for r in (result.run_requests or [])]
            assert schedule.execution_timezone == "UTC"
    return out


def test_monday_tick(defs):
    # Monday 2024-03-04 00:30 UTC: yesterday's day and last week close; 2024-03-04 is day 63
    # from the biweekly anchor (not a multiple of 14), and not the 1st of a month. The day
    # 2024-03-03 is in the daily assets' March partition (March to date).
    runs = tick(defs, datetime(2024, 3, 4, 0, 30, tzinfo=timezone.utc))
    assert runs == {
        "nightly_ingest": [("ingest_job", None)],
        "close_daily_periods": [("daily_models_job", "2024-03-01")],
        "close_weekly_periods": [("weekly_models_job", "2024-02-26")],
        "close_biweekly_periods": [],
        "close_monthly_periods": [],
    }


def test_monday_that_closes_a_biweekly_period(defs):
    # 2024-03-11 is day 70 = 5 x 14: the biweekly period [02-26, 03-11) just ended
    runs = tick(defs, datetime(2024, 3, 11, 0, 30, tzinfo=timezone.utc))
    assert runs["close_biweekly_periods"] == [("biweekly_models_job", "2024-02-26")]
    assert runs["close_weekly_periods"] == [("weekly_models_job", "2024-03-04")]


def test_first_of_the_month_closes_the_month(defs):
    runs = tick(defs, datetime(2024, 4, 1, 0, 30, tzinfo=timezone.utc))  # also a Monday
    assert runs["close_monthly_periods"] == [("monthly_models_job", "2024-03-01")]
    assert runs["close_daily_periods"] == [("daily_models_job", "2024-03-01")]  # March 31: March's last day


def test_period_runs_leave_the_freshness_checks_to_their_sensor(defs):
    from pipelines.automation import model_check_keys

    key = dg.AssetKey(["weekly", "developer_snapshot"])
    whole = defs.resolve_job_def("weekly_models_job")
    assert not [n for n in whole.graph.node_dict if n.startswith("freshness_check")]
    checks = model_check_keys(defs, [key])
    assert {c.name for c in checks} >= {"unique_key", "non_negative"}
    # a run of some models (late data, sync) with their own checks only
    subset = whole.get_subset(asset_selection={key}, asset_check_selection=checks)
    assert list(subset.graph.node_dict) == ["weekly__developer_snapshot"]
    # the freshness check exists: the sensor evaluates it
    assert any(c.asset_key == key for ac in defs.asset_checks for c in ac.check_keys)


def test_the_snapshot_asset_is_fed_by_staging_and_describes_its_category_columns(defs):
    """The category models are ephemeral: no asset of their own; developer_snapshot
    depends on the staging tables they read and shows their column descriptions."""
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert "weekly/developer_snapshot" in keys
    assert not {f"weekly/developer_{c}" for c in ("velocity", "efficiency", "quality", "sustainability",
                                                  "collaboration", "periods")} & keys
    key = dg.AssetKey(["weekly", "developer_snapshot"])
    parents = {k.to_user_string() for k in graph.get(key).parent_keys}
    # read by the spine (stg_developer_days), by velocity (stg_developer_settings) and by sustainability
    assert {"staging/stg_developer_days", "staging/stg_developer_settings",
            "staging/stg_developer_local_dates"} <= parents
    schema = graph.get(key).metadata["dagster/column_schema"]
    docs = {c.name: c.description for c in schema.columns}
    assert docs["commits_count"].startswith("counted commits")  # from developer_velocity.sql
    assert docs["knowledge_sharing_score"].startswith("review_given_count /")  # from developer_collaboration.sql
    assert docs["is_active"]  # its own
