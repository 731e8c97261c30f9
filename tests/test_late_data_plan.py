"""plan_runs: touched periods -> single-run ranges of Dagster partitions, per period type and model set."""

from datetime import date, datetime, timezone

import pytest

from pipelines.calendar import PeriodCalendar
from pipelines.late_data import plan_runs
from pipelines.modeling.project import load_project

CAL = PeriodCalendar(date(2024, 1, 1))
NOW = datetime(2024, 3, 10, 0, 30, tzinfo=timezone.utc)  # days through 03-09 have ended; week 03-04 has not


@pytest.fixture(scope="module")
def project():
    return load_project(CAL)


def runs_by_range(runs):
    return {(r.period_type, r.first_key, r.last_key): set(r.models) for r in runs}


def test_daily_periods_map_to_month_partitions_and_as_of_models_redo_later_ones(project):
    as_of = {m.name for m in project.period_models() if m.late_data_following == "all"}
    rest = {m.name for m in project.period_models()} - as_of
    assert as_of and rest
    runs = plan_runs({"daily": ["2024-01-10", "2024-03-09", "2024-03-10"], "weekly": ["2024-03-04"],
                      "monthly": ["2024-01-01"]}, project, CAL, NOW)
    assert runs_by_range(runs) == {
        # the touched days' months, not February: two runs of every model but the "as of" ones
        ("daily", "2024-01-01", "2024-01-01"): rest,
        ("daily", "2024-03-01", "2024-03-01"): rest,
        # "as of" models: from January through every later partition
        ("daily", "2024-01-01", "2024-03-01"): as_of,
        # January's monthly period, and for "as of" models February too (March has not ended)
        ("monthly", "2024-01-01", "2024-01-01"): rest,
        ("monthly", "2024-01-01", "2024-02-01"): as_of,
        # 2024-03-10 and the week of 03-04 end after NOW: nothing yet (the closing schedule computes them)
    }


def test_later_partitions_are_redone_only_where_computed(project):
    runs = plan_runs({"daily": ["2024-01-10"]}, project, CAL, NOW,
                     computed=lambda period_type, model: {"2024-01-01", "2024-02-01"})
    assert runs_by_range(runs) == {
        ("daily", "2024-01-01", "2024-01-01"): {m.name for m in project.period_models()
                                                if m.late_data_following != "all"},
        ("daily", "2024-01-01", "2024-02-01"): {m.name for m in project.period_models()
                                                if m.late_data_following == "all"},
    }
