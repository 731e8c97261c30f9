"""PeriodCalendar: period boundaries, ranges and Dagster partitions (METRICS.md §0)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import dagster as dg
import pytest

from pipelines.calendar import (
    BIWEEKLY_PARTITIONS_NAME,
    PARTITION_SPAN,
    PERIOD_TYPES,
    Period,
    PeriodCalendar,
    register_biweekly_partitions,
)

D = date.fromisoformat
CAL = PeriodCalendar(date(2024, 1, 1))  # anchor defaults to 2024-01-01


def every_day(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


# --- boundaries per type --------------------------------------------------------


@pytest.mark.parametrize(
    "period_type, when, start, end",
    [
        ("daily", "2024-03-15", "2024-03-15", "2024-03-16"),
        ("daily", "2024-12-31", "2024-12-31", "2025-01-01"),
        ("weekly", "2024-01-01", "2024-01-01", "2024-01-08"),  # a Monday is its own start
        ("weekly", "2024-01-07", "2024-01-01", "2024-01-08"),  # Sunday belongs to the week before
        ("weekly", "2024-01-08", "2024-01-08", "2024-01-15"),
        ("biweekly", "2024-01-01", "2024-01-01", "2024-01-15"),
        ("biweekly", "2024-01-14", "2024-01-01", "2024-01-15"),
        ("biweekly", "2024-01-15", "2024-01-15", "2024-01-29"),
        ("monthly", "2024-01-31", "2024-01-01", "2024-02-01"),
        ("monthly", "2024-12-15", "2024-12-01", "2025-01-01"),
    ],
)
def test_containing_each_type(period_type, when, start, end):
    p = CAL.containing(period_type, D(when))
    assert p == Period(period_type, D(start), D(end))
    assert CAL.start_of(period_type, D(when)) == D(start)
    assert CAL.end_of(period_type, D(start)) == D(end)
    assert p.key == start
    assert CAL.is_boundary(period_type, D(start))
    assert CAL.period(period_type, start) == p
    assert CAL.period(period_type, D(start)) == p


def test_datetime_is_truncated_to_its_utc_date():
    late = datetime(2024, 1, 7, 23, 59, 59)
    assert CAL.start_of("daily", late) == D("2024-01-07")
    assert CAL.start_of("weekly", late) == D("2024-01-01")
    assert CAL.containing("weekly", datetime(2024, 1, 8, 0, 0)).start == D("2024-01-08")


def test_aware_datetime_is_converted_to_utc_first():
    plus5 = timezone(timedelta(hours=5))
    when = datetime(2024, 1, 8, 2, 0, tzinfo=plus5)  # 2024-01-07 21:00 UTC, a Sunday
    assert CAL.start_of("daily", when) == D("2024-01-07")
    assert CAL.start_of("weekly", when) == D("2024-01-01")


@pytest.mark.parametrize(
    "period_type, key, containing_start",
    [
        ("weekly", "2024-01-03", "2024-01-01"),
        ("biweekly", "2024-01-08", "2024-01-01"),
        ("biweekly", "2023-12-25", "2023-12-18"),
        ("monthly", "2024-02-29", "2024-02-01"),
    ],
)
def test_period_of_a_non_boundary_key_raises_naming_the_containing_start(period_type, key, containing_start):
    assert not CAL.is_boundary(period_type, D(key))
    with pytest.raises(ValueError) as e:
        CAL.period(period_type, key)
    msg = str(e.value)
    assert key in msg
    assert period_type in msg
    assert containing_start in msg


def test_unknown_period_type_is_rejected():
    for call in (
        lambda: CAL.start_of("quarterly", D("2024-01-01")),
        lambda: CAL.end_of("quarterly", D("2024-01-01")),
        lambda: CAL.partitions_def("quarterly"),
    ):
        with pytest.raises(ValueError, match="quarterly"):
            call()


def test_anchor_must_be_a_monday():
    with pytest.raises(ValueError, match="Monday"):
        PeriodCalendar(date(2024, 1, 1), biweekly_anchor=date(2024, 1, 2))


# --- biweekly -------------------------------------------------------------------


def test_biweekly_before_the_anchor_floors_to_earlier_windows():
    cal = PeriodCalendar(date(2023, 1, 1), biweekly_anchor=date(2024, 1, 1))
    # one day before the anchor is in the window [anchor-14, anchor)
    assert cal.containing("biweekly", D("2023-12-31")) == Period("biweekly", D("2023-12-18"), D("2024-01-01"))
    # exactly 14 days before is a boundary, 15 days before is in the window before it
    assert cal.is_boundary("biweekly", D("2023-12-18"))
    assert cal.start_of("biweekly", D("2023-12-17")) == D("2023-12-04")
    # far before: 2023-01-02 is 26 windows (364 days) before the anchor
    assert cal.start_of("biweekly", D("2023-01-02")) == D("2023-01-02")
    assert cal.start_of("biweekly", D("2023-01-01")) == D("2022-12-19")


def test_biweekly_with_anchor_after_the_dates():
    cal = PeriodCalendar(date(2024, 1, 1), biweekly_anchor=date(2026, 3, 2))
    for d in every_day(D("2024-01-01"), D("2024-03-31")):
        s = cal.start_of("biweekly", d)
        assert (date(2026, 3, 2) - s).days % 14 == 0
        assert s <= d < s + timedelta(days=14)


def test_biweekly_anchor_changes_the_windows():
    a = PeriodCalendar(date(2024, 1, 1), biweekly_anchor=date(2024, 1, 1))
    b = PeriodCalendar(date(2024, 1, 1), biweekly_anchor=date(2024, 1, 8))
    assert a.start_of("biweekly", D("2024-01-10")) == D("2024-01-01")
    assert b.start_of("biweekly", D("2024-01-10")) == D("2024-01-08")
    assert b.start_of("biweekly", D("2024-01-07")) == D("2023-12-25")


def test_biweekly_straddles_month_end_and_year_end():
    month = CAL.containing("biweekly", D("2024-02-05"))
    assert month == Period("biweekly", D("2024-01-29"), D("2024-02-12"))
    assert month.days == 14
    year = CAL.containing("biweekly", D("2025-01-05"))
    assert year == Period("biweekly", D("2024-12-30"), D("2025-01-13"))
    assert CAL.containing("biweekly", D("2024-12-31")) == year
    assert year.days == 14


# --- leap years and year ends ---------------------------------------------------------


def test_leap_day():
    assert CAL.containing("daily", D("2024-02-29")) == Period("daily", D("2024-02-29"), D("2024-03-01"))
    assert CAL.containing("weekly", D("2024-02-29")) == Period("weekly", D("2024-02-26"), D("2024-03-04"))
    feb = CAL.containing("monthly", D("2024-02-29"))
    assert feb == Period("monthly", D("2024-02-01"), D("2024-03-01"))
    assert feb.days == 29
    assert CAL.containing("monthly", D("2023-02-14")).days == 28
    assert CAL.period("daily", "2024-02-29").end == D("2024-03-01")


def test_year_end_week():
    p = CAL.containing("weekly", D("2025-01-01"))
    assert p == Period("weekly", D("2024-12-30"), D("2025-01-06"))
    assert CAL.containing("weekly", D("2024-12-30")) == p
    assert CAL.containing("weekly", D("2025-01-05")) == p
    assert CAL.containing("monthly", D("2024-12-31")).end == D("2025-01-01")
    assert CAL.containing("daily", D("2024-12-31")).end == D("2025-01-01")


# --- invariants over every day of 2023–2025 -----------------------------------------------


@pytest.mark.parametrize("anchor", [date(2024, 1, 1), date(2023, 1, 2), date(2026, 1, 5)])
def test_invariants_every_day(anchor):
    cal = PeriodCalendar(date(2023, 1, 1), biweekly_anchor=anchor)
    lengths = {"daily": {1}, "weekly": {7}, "biweekly": {14}, "monthly": {28, 29, 30, 31}}
    for pt in PERIOD_TYPES:
        for d in every_day(D("2023-01-01"), D("2025-12-31")):
            s = cal.start_of(pt, d)
            e = cal.end_of(pt, s)
            assert s <= d < e, (pt, d)
            assert (e - s).days in lengths[pt], (pt, d)
            assert cal.is_boundary(pt, s) and cal.is_boundary(pt, e), (pt, d)
            assert cal.is_boundary(pt, d) == (s == d)
            assert cal.containing(pt, d) == Period(pt, s, e)
            if pt == "weekly":
                assert s.weekday() == 0
            if pt == "biweekly":
                assert (s - anchor).days % 14 == 0
            if pt == "monthly":
                assert s.day == 1 and (s.year, s.month) == (d.year, d.month)


def test_consecutive_periods_are_adjacent():
    for pt in PERIOD_TYPES:
        periods = list(CAL.iter_periods(pt, D("2023-01-01"), D("2026-01-01")))
        assert periods[0].start <= D("2023-01-01") < periods[0].end
        assert periods[-1].start < D("2026-01-01") <= periods[-1].end
        for a, b in zip(periods, periods[1:]):
            assert a.end == b.start, (pt, a, b)
        # every day is in exactly the period iter_periods lists for it
        covered = {d: p for p in periods for d in every_day(p.start, p.end - timedelta(days=1))}
        for d in every_day(D("2023-01-01"), D("2025-12-31")):
            assert covered[d] == CAL.containing(pt, d)


# --- ranges -------------------------------------------------------------------


def test_periods_for_range_only_ended_periods():
    cal = PeriodCalendar(date(2024, 1, 1))
    # now = Wednesday 2024-01-17: the week of 2024-01-15 has not ended
    got = cal.periods_for_range("weekly", D("2024-01-01"), D("2024-01-31"), datetime(2024, 1, 17, 12))
    assert [p.key for p in got] == ["2024-01-01", "2024-01-08"]
    # a period ending exactly at `now` has ended
    got = cal.periods_for_range("weekly", D("2024-01-01"), D("2024-01-31"), D("2024-01-15"))
    assert [p.key for p in got] == ["2024-01-01", "2024-01-08"]
    got = cal.periods_for_range("daily", D("2024-01-01"), D("2024-01-31"), datetime(2024, 1, 3, 0, 0))
    assert [p.key for p in got] == ["2024-01-01", "2024-01-02"]
    assert cal.periods_for_range("monthly", D("2024-01-01"), D("2024-01-31"), D("2024-01-31")) == []


def test_periods_for_range_to_is_inclusive():
    now = D("2025-01-01")
    # TO = a Monday: the week starting that Monday overlaps [FROM, TO]
    got = CAL.periods_for_range("weekly", D("2024-01-03"), D("2024-01-15"), now)
    assert [p.key for p in got] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    # TO = a Sunday: the next week does not overlap
    got = CAL.periods_for_range("weekly", D("2024-01-03"), D("2024-01-14"), now)
    assert [p.key for p in got] == ["2024-01-01", "2024-01-08"]
    got = CAL.periods_for_range("daily", D("2024-02-28"), D("2024-03-01"), now)
    assert [p.key for p in got] == ["2024-02-28", "2024-02-29", "2024-03-01"]
    got = CAL.periods_for_range("monthly", D("2024-01-31"), D("2024-03-01"), now)
    assert [p.key for p in got] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    got = CAL.periods_for_range("biweekly", D("2024-01-14"), D("2024-01-15"), now)
    assert [p.key for p in got] == ["2024-01-01", "2024-01-15"]


def test_periods_for_range_not_before_the_calendar_start():
    cal = PeriodCalendar(date(2024, 1, 10))
    got = cal.periods_for_range("weekly", D("2023-11-01"), D("2024-01-20"), D("2025-01-01"))
    # the first period is the one containing the calendar start
    assert [p.key for p in got] == ["2024-01-08", "2024-01-15"]
    got = cal.periods_for_range("monthly", D("2023-01-01"), D("2024-02-10"), D("2025-01-01"))
    assert [p.key for p in got] == ["2024-01-01", "2024-02-01"]


def test_completed_periods():
    cal = PeriodCalendar(date(2024, 1, 10))
    got = cal.completed_periods("biweekly", D("2024-02-12"))
    assert [p.key for p in got] == ["2024-01-01", "2024-01-15", "2024-01-29"]
    assert [p.key for p in cal.completed_periods("monthly", datetime(2024, 3, 1, 0, 0))] == ["2024-01-01", "2024-02-01"]
    assert cal.completed_periods("weekly", D("2024-01-14")) == []


# --- Dagster partitions ---------------------------------------------------------------

NOW = datetime(2025, 3, 5, 12, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("start", [date(2023, 11, 15), date(2024, 1, 1), date(2024, 2, 29)])
@pytest.mark.parametrize("period_type", ["daily", "weekly", "monthly"])
def test_time_window_partitions_match_the_calendar(period_type, start):
    cal = PeriodCalendar(start)
    pdef = cal.partitions_def(period_type)
    assert isinstance(pdef, dg.TimeWindowPartitionsDefinition)
    for now in (NOW, datetime(2025, 3, 3, 0, 0, tzinfo=timezone.utc)):
        keys = pdef.get_partition_keys(current_time=now)
        # daily periods: one partition per month holding an ended day (the current month to date)
        expected = cal.partition_keys(period_type, cal.completed_periods(period_type, now))
        assert keys == expected
        assert keys[0] == cal.containing(PARTITION_SPAN[period_type], start).key
        held = [p for k in keys for p in cal.partition_periods(period_type, k, now)]
        assert held == cal.completed_periods(period_type, now)  # every ended period, once
    keys = pdef.get_partition_keys(current_time=NOW)
    for key in keys[:3] + keys[len(keys) // 2 : len(keys) // 2 + 3] + keys[-3:]:
        window = pdef.time_window_for_partition_key(key)
        period = cal.period(PARTITION_SPAN[period_type], key)
        assert window.start == datetime.combine(period.start, datetime.min.time(), timezone.utc)
        assert window.end == datetime.combine(period.end, datetime.min.time(), timezone.utc)


def test_a_daily_partition_holds_the_ended_days_of_its_month():
    cal = PeriodCalendar(date(2024, 1, 10))
    assert cal.partition_key("daily", "2024-02-29") == "2024-02-01"
    assert cal.partition_key("weekly", "2024-02-26") == "2024-02-26"
    days = cal.partition_periods("daily", "2024-01-01", datetime(2025, 1, 1))
    assert (days[0].key, days[-1].key, len(days)) == ("2024-01-10", "2024-01-31", 22)  # not before the start
    days = cal.partition_periods("daily", "2024-03-01", datetime(2024, 3, 5, 0, 30))
    assert [d.key for d in days] == ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]  # to date
    assert cal.partition_periods("daily", "2024-03-01", datetime(2024, 3, 1)) == []
    assert [p.key for p in cal.partition_periods("weekly", "2024-03-04", datetime(2024, 3, 11))] == ["2024-03-04"]
    assert cal.partition_periods("weekly", "2024-03-04", datetime(2024, 3, 10)) == []
    with pytest.raises(ValueError, match="not the start of a monthly period"):
        cal.partition_periods("daily", "2024-03-02", datetime(2025, 1, 1))


def test_biweekly_partitions_are_dynamic():
    pdef = CAL.partitions_def("biweekly")
    assert isinstance(pdef, dg.DynamicPartitionsDefinition)
    assert pdef.name == BIWEEKLY_PARTITIONS_NAME


@pytest.fixture(scope="module")
def instance():
    inst = dg.DagsterInstance.ephemeral()
    yield inst
    inst.dispose()


def test_register_biweekly_partitions(instance):
    cal = PeriodCalendar(date(2023, 11, 15), biweekly_anchor=date(2024, 1, 1))
    now = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    new = register_biweekly_partitions(instance, cal, now)
    expected = [
        "2023-11-06", "2023-11-20", "2023-12-04", "2023-12-18", "2024-01-01",
        "2024-01-15", "2024-01-29", "2024-02-12",  # 2024-02-26 ends 2024-03-11: not yet
    ]
    assert new == expected
    assert instance.get_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME) == expected
    assert cal.partitions_def("biweekly").get_partition_keys(dynamic_partitions_store=instance) == expected
    for key in expected:
        p = cal.period("biweekly", key)
        assert p.days == 14

    # idempotent
    assert register_biweekly_partitions(instance, cal, now) == []
    assert instance.get_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME) == expected

    # time passes: only the newly ended periods are added, in order
    later = datetime(2024, 3, 25, tzinfo=timezone.utc)
    assert register_biweekly_partitions(instance, cal, later) == ["2024-02-26", "2024-03-11"]
    assert instance.get_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME) == expected + ["2024-02-26", "2024-03-11"]

    # an earlier calendar start: the earlier keys are added and the stored order stays sorted
    earlier = PeriodCalendar(date(2023, 10, 1), biweekly_anchor=date(2024, 1, 1))
    assert register_biweekly_partitions(instance, earlier, later) == ["2023-09-25", "2023-10-09", "2023-10-23"]
    stored = instance.get_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME)
    assert stored == [p.key for p in earlier.completed_periods("biweekly", later)]
    assert stored == sorted(stored) and len(stored) == len(set(stored))
    for a, b in zip(stored, stored[1:]):
        assert (D(b) - D(a)).days == 14
