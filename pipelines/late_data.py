"""Late data: which partitions an ingest run touched, and the runs that redo them.

After every ingest, :func:`affected_periods` reads the raw change log
since the last batch and the commit attribution that staging just rebuilt,
and returns, per period type, exactly the periods to recompute
(ARCHITECTURE.md, data flow step 4):

- every period containing a timestamp of a changed row (its event times,
  old and new);
- every period containing a timestamp (created, merged, closed) of the pull
  request a changed row belongs to — a late review changes the merge
  period's first-review figures — including the PRs a changed commit is
  listed in;
- the periods of commits whose resolved developer (or counted status)
  changed, before and after.

:func:`plan_runs` turns them into single-run ranges of Dagster partitions
per period type (a daily partition is a month of daily periods), adding for
each model what its header asks for beyond the touched periods
(``late_data: {following_periods: all}`` for "as of" models, ``4`` for the
burnout detector). The late-data sensor and ``devlens sync`` both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from datetime import date, datetime

import duckdb

from .calendar import PERIOD_TYPES, PeriodCalendar
from .modeling import ModelProject

STATE_DDL = """
create schema if not exists meta;
create table if not exists meta.late_data_batches (
    batch_id     integer primary key,
    last_seq     bigint not null,     -- the change log is read up to here
    computed_at  timestamp not null
);
create table if not exists meta.commit_attribution (
    workspace_id varchar not null,
    sha          varchar not null,
    developer_id varchar,
    authored_at  timestamp not null,
    is_counted   boolean not null,
    primary key (workspace_id, sha)
);
"""

TOUCHED_TIMES = """
with changes as (
    select * from raw.change_log where seq > ?
),
own_times as (
    select unnest(event_times) as ts from changes
),
changed_prs as (
    select distinct repository, pr_number from changes where pr_number is not null
    union
    -- a changed commit counts for every PR that lists it (rework, first commit)
    select distinct prc.repository, prc.pr_number
    from changes
    join raw.pull_request_commits prc
        on changes.entity = 'commits' and prc.repository = changes.repository
       and changes.entity_key = prc.repository || '/' || prc.sha
),
pr_times as (
    select unnest([pr.created_at, pr.merged_at, pr.closed_at]) as ts
    from changed_prs
    join raw.pull_requests pr on pr.repository = changed_prs.repository and pr.number = changed_prs.pr_number
),
reattributed as (
    -- commits whose developer or counted status changed since the last batch
    select unnest([old.authored_at, new.authored_at]) as ts
    from meta.commit_attribution old
    full join staging.stg_commits new on new.workspace_id = old.workspace_id and new.sha = old.sha
    where old.developer_id is distinct from new.developer_id
       or old.is_counted is distinct from new.is_counted
       or old.authored_at is distinct from new.authored_at
)
select distinct ts from (
    select ts from own_times union all select ts from pr_times union all select ts from reattributed
) where ts is not null
"""


@dataclass
class LateDataBatch:
    batch_id: int
    first_seq: int
    last_seq: int
    periods: dict[str, list[str]] = field(default_factory=dict)  # period type -> touched period keys


def affected_periods(con: duckdb.DuckDBPyConnection, calendar: PeriodCalendar, now: datetime | date
                     ) -> LateDataBatch:
    """Record a new batch and return the ended periods it touched, per period type."""
    con.execute(STATE_DDL)
    last = con.execute("select coalesce(max(last_seq), 0), coalesce(max(batch_id), 0) from meta.late_data_batches"
                       ).fetchall()[0]
    first_seq, batch_id = int(last[0]), int(last[1]) + 1
    upto = con.execute("select coalesce(max(seq), 0) from raw.change_log").fetchall()[0][0]
    times = [r[0] for r in con.execute(TOUCHED_TIMES, [first_seq]).fetchall()]
    batch = LateDataBatch(batch_id, first_seq + 1, int(upto))
    for pt in PERIOD_TYPES:
        first = calendar.first_period(pt).start
        keys = {calendar.containing(pt, t) for t in times}
        batch.periods[pt] = sorted(p.key for p in keys if p.start >= first and p.end <= _as_date(now))
    con.execute("begin transaction")
    try:
        con.execute("delete from meta.commit_attribution")
        con.execute(
            "insert into meta.commit_attribution select workspace_id, sha, developer_id, authored_at, is_counted "
            "from staging.stg_commits"
        )
        con.execute("insert into meta.late_data_batches values (?, ?, now()::timestamp)", [batch_id, upto])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return batch


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class PlannedRun:
    period_type: str
    models: tuple[str, ...]
    first_key: str  # Dagster partition keys
    last_key: str

    @property
    def tags(self) -> dict[str, str]:
        return {"dagster/asset_partition_range_start": self.first_key,
                "dagster/asset_partition_range_end": self.last_key}

    def as_dict(self) -> dict:
        return {"period_type": self.period_type, "models": list(self.models), "from": self.first_key,
                "to": self.last_key}


def plan_runs(periods: dict[str, list[str]], project: ModelProject, calendar: PeriodCalendar,
              now: datetime | date, computed: Callable[[str, str], set[str]] | None = None) -> list[PlannedRun]:
    """Single-run partition ranges per period type covering exactly what each model needs.

    ``periods``: the touched period keys per period type. Each model needs
    the partitions holding them, and those holding the later periods it asks
    for (``following_periods``), limited to partitions already computed
    (``computed(period_type, model)``, when given): recomputing means redoing
    what exists, not filling what never ran.
    """
    runs: list[PlannedRun] = []
    for pt in PERIOD_TYPES:
        ended = [p.key for p in calendar.completed_periods(pt, now)]
        position = {k: i for i, k in enumerate(ended)}
        touched = {k for k in periods.get(pt, ()) if k in position}  # a period ending after ``now`` waits
        if not touched:
            continue
        partitions = calendar.partition_keys(pt, ended)
        touched_partitions = set(calendar.partition_keys(pt, touched))
        needs: dict[str, frozenset[str]] = {}
        for model in project.period_models():
            keys = set(touched)
            following = model.late_data_following
            for key in touched:
                i = position.get(key)
                if i is None:
                    continue
                if following == "all":
                    keys.update(ended[i + 1:])
                elif following:
                    keys.update(ended[i + 1: i + 1 + int(following)])
            needed = set(calendar.partition_keys(pt, keys))
            if computed is not None and needed != touched_partitions:
                needed = touched_partitions | (needed & computed(pt, model.name))
            needs[model.name] = frozenset(needed)
        groups: dict[frozenset[str], list[str]] = {}
        for name in project.order:
            if name in needs:
                groups.setdefault(needs[name], []).append(name)
        for keys, models in groups.items():
            for first, last in _contiguous(keys, partitions):
                runs.append(PlannedRun(pt, tuple(models), first, last))
    return runs


def _contiguous(keys, order: list[str]) -> list[tuple[str, str]]:
    """Ranges of adjacent keys in ``order`` (keys not in it form ranges of their own)."""
    position = {k: i for i, k in enumerate(order)}
    ranges: list[tuple[str, str]] = []
    previous = None
    for k in sorted(keys, key=lambda k: (position.get(k, -1), k)):
        if previous is not None and k in position and position.get(previous, -2) + 1 == position[k]:
            ranges[-1] = (ranges[-1][0], k)
        else:
            ranges.append((k, k))
        previous = k
    return ranges
