"""The period calendar: the one owner of period boundaries and partitions.

Four period types, all boundaries at UTC midnight, each period the half-open
interval ``[start, end)`` (METRICS.md §0). Partition keys are the ISO dates
of period starts. Daily, weekly (Monday weeks) and monthly partitions are
Dagster time-window definitions, whose windows agree with this module.
Biweekly periods are exact 14-day windows counted from
``calendar.biweekly_anchor``; cron cannot say "every other week", so their
partitions are a dynamic definition whose keys are registered by
:func:`register_biweekly_partitions` (the CLI and the period sensor call it).
Windows always come from :meth:`PeriodCalendar.period`, never from Dagster's
``partition_time_window``.

A Dagster partition holds one period, except for daily periods: Dagster
partitions daily assets by month (key: the month's first day), and a
partition run computes every daily period of that month that has ended.
Dagster logs one event per asset and partition, even in a single-run
backfill (FIELD-NOTES: "prefer fewer, larger partitions"); a year of daily
partitions over every model cost minutes of event writes for seconds of
SQL. The tables, the ledger and the API stay daily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator, Literal

import dagster as dg

PeriodType = Literal["daily", "weekly", "biweekly", "monthly"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("daily", "weekly", "biweekly", "monthly")
BIWEEKLY_PARTITIONS_NAME = "biweekly_periods"
# A run tag fixing "now" (ISO timestamp, UTC): which periods of its partitions have
# ended. The runner sets it, so a run is reproducible; without it, the clock.
NOW_TAG = "devlens/now"
# The period type whose periods a Dagster partition of each period type spans.
PARTITION_SPAN: dict[str, PeriodType] = {"daily": "monthly", "weekly": "weekly", "biweekly": "biweekly",
                                          "monthly": "monthly"}


@dataclass(frozen=True, order=True)
class Period:
    period_type: str
    start: date
    end: date

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _as_date(value: date | datetime) -> date:
    """The UTC date of a date or datetime (naive datetimes are UTC already)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.date()
    return value


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + (d.month - 1) + months, 12)
    return date(y, m + 1, 1)


class PeriodCalendar:
    """Period boundaries for one deployment (its ``calendar:`` config)."""

    def __init__(self, start: date, biweekly_anchor: date = date(2024, 1, 1)):
        if biweekly_anchor.weekday() != 0:
            raise ValueError(f"biweekly_anchor {biweekly_anchor} is not a Monday")
        self.start = start
        self.biweekly_anchor = biweekly_anchor

    @classmethod
    def from_config(cls, cfg) -> "PeriodCalendar":
        return cls(cfg.calendar.start, cfg.calendar.biweekly_anchor)

    # --- boundaries -------------------------------------------------------
    def start_of(self, period_type: str, when: date | datetime) -> date:
        """The start of the period of ``period_type`` containing ``when`` (UTC)."""
        d = _as_date(when)
        if period_type == "daily":
            return d
        if period_type == "weekly":
            return d - timedelta(days=d.weekday())
        if period_type == "biweekly":
            offset = (d - self.biweekly_anchor).days // 14  # floor: also before the anchor
            return self.biweekly_anchor + timedelta(days=14 * offset)
        if period_type == "monthly":
            return d.replace(day=1)
        raise ValueError(f"unknown period type {period_type!r}; expected one of {PERIOD_TYPES}")

    def end_of(self, period_type: str, start: date) -> date:
        if period_type == "daily":
            return start + timedelta(days=1)
        if period_type == "weekly":
            return start + timedelta(days=7)
        if period_type == "biweekly":
            return start + timedelta(days=14)
        if period_type == "monthly":
            return _add_months(start, 1)
        raise ValueError(f"unknown period type {period_type!r}; expected one of {PERIOD_TYPES}")

    def containing(self, period_type: str, when: date | datetime) -> Period:
        s = self.start_of(period_type, when)
        return Period(period_type, s, self.end_of(period_type, s))

    def is_boundary(self, period_type: str, d: date) -> bool:
        return self.start_of(period_type, d) == d

    def period(self, period_type: str, key: str | date) -> Period:
        """The period whose start is ``key``; ValueError if it is not a boundary."""
        d = date.fromisoformat(key) if isinstance(key, str) else key
        if not self.is_boundary(period_type, d):
            raise ValueError(
                f"{d.isoformat()} is not the start of a {period_type} period "
                f"(the {period_type} period containing it starts {self.start_of(period_type, d).isoformat()})"
            )
        return Period(period_type, d, self.end_of(period_type, d))

    def iter_periods(self, period_type: str, first: date, until: date) -> Iterator[Period]:
        """Periods overlapping ``[first, until)``, in order."""
        s = self.start_of(period_type, first)
        while s < until:
            e = self.end_of(period_type, s)
            yield Period(period_type, s, e)
            s = e

    def first_period(self, period_type: str) -> Period:
        return self.containing(period_type, self.start)

    def completed_periods(self, period_type: str, now: datetime | date) -> list[Period]:
        """Every period from the calendar start that has ended by ``now``."""
        cutoff = _as_date(now)
        return [p for p in self.iter_periods(period_type, self.start, cutoff) if p.end <= cutoff]

    def periods_for_range(self, period_type: str, date_from: date, date_to: date, now: datetime | date) -> list[Period]:
        """Ended periods overlapping ``[date_from, date_to]`` (TO inclusive), not before the calendar start."""
        first = max(date_from, self.first_period(period_type).start)
        cutoff = _as_date(now)
        return [
            p
            for p in self.iter_periods(period_type, first, date_to + timedelta(days=1))
            if p.end <= cutoff
        ]

    # --- Dagster partitions ------------------------------------------------
    def partition_key(self, period_type: str, period_start: date | str) -> str:
        """The key of the Dagster partition holding a ``period_type`` period (or any date)."""
        d = date.fromisoformat(period_start) if isinstance(period_start, str) else period_start
        return self.start_of(PARTITION_SPAN[period_type], d).isoformat()

    def partition_keys(self, period_type: str, periods) -> list[str]:
        """The sorted keys of the partitions holding ``periods`` (Periods or ISO keys)."""
        return sorted({self.partition_key(period_type, p.start if isinstance(p, Period) else p) for p in periods})

    def partition_periods(self, period_type: str, key: str, now: datetime | date) -> list[Period]:
        """The ended ``period_type`` periods a partition holds, none before the calendar start."""
        span = self.period(PARTITION_SPAN[period_type], key)
        first = max(span.start, self.first_period(period_type).start)
        cutoff = _as_date(now)
        return [p for p in self.iter_periods(period_type, first, span.end) if p.end <= cutoff]

    def partitions_def(self, period_type: str) -> dg.PartitionsDefinition:
        first = self.first_period(period_type).start.isoformat()
        if period_type == "daily":
            # A partition per month, the current one included (month to date).
            month = self.first_period("monthly").start.isoformat()
            return dg.MonthlyPartitionsDefinition(start_date=month, timezone="UTC", end_offset=1)
        if period_type == "weekly":
            return dg.WeeklyPartitionsDefinition(start_date=first, day_offset=1, timezone="UTC")
        if period_type == "monthly":
            return dg.MonthlyPartitionsDefinition(start_date=first, timezone="UTC")
        if period_type == "biweekly":
            return dg.DynamicPartitionsDefinition(name=BIWEEKLY_PARTITIONS_NAME)
        raise ValueError(f"unknown period type {period_type!r}")


def register_biweekly_partitions(instance: dg.DagsterInstance, calendar: PeriodCalendar, now: datetime | date) -> list[str]:
    """Register every ended biweekly period as a partition key; return the new keys.

    Keys are added in chronological order so ranges in the UI are ordered.
    """
    wanted = [p.key for p in calendar.completed_periods("biweekly", now)]
    existing = set(instance.get_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME))
    new = [k for k in wanted if k not in existing]
    if new:
        if existing and min(new) < max(existing):
            # An earlier calendar start: re-add all in order to keep ranges sorted.
            for k in sorted(existing):
                instance.delete_dynamic_partition(BIWEEKLY_PARTITIONS_NAME, k)
            new_all = sorted(set(wanted) | existing)
            instance.add_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME, new_all)
        else:
            instance.add_dynamic_partitions(BIWEEKLY_PARTITIONS_NAME, new)
    return new
