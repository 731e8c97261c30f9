"""Schedules, sensors and freshness checks: what the Dagster daemon runs.

- ``nightly_ingest`` (00:00 UTC) ingests every source and rebuilds staging.
- ``close_<type>_periods`` (00:30 UTC) materialize each period type's most
  recent complete period once it has ended: yesterday daily; last week on
  Mondays; the last biweekly period on the Monday it closes; last month on
  the 1st. They queue behind the ingest run: every writer shares the
  ``duckdb_writer`` pool of one slot.
- ``late_data_sensor`` turns each late-data batch (the periods an ingest
  touched) into single-run ranges of exactly the partitions holding them.
- ``publish_after_success`` publishes after every run that wrote period tables.
- ``biweekly_periods`` registers biweekly partitions as periods end.
- Freshness checks fail when a daily period is not computed 36 hours after
  it began: at 12:00 UTC each day the daily assets (partitioned by month)
  must have been materialized since midnight, which the closing run does;
  weekly and monthly partitions must be materialized by 12:00 UTC on the
  day after the period ends.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import dagster as dg

from .calendar import PERIOD_TYPES, register_biweekly_partitions
from .context import DevLens
from .late_data import plan_runs

INGEST_JOB = "ingest_job"
PUBLISH_JOB = "publish_job"
LATE_DATA_KEY = dg.AssetKey(["meta", "late_data"])
CLOSE_CRON = {"daily": "30 0 * * *", "weekly": "30 0 * * 1", "biweekly": "30 0 * * 1", "monthly": "30 0 1 * *"}
# Every run over touched partitions recomputes the row spine, so its
# materializations say which partitions have been redone since a batch.
SPINE_MODEL = "developer_snapshot"
FRESHNESS_DEADLINE = {"weekly": "0 12 * * 1", "monthly": "0 12 1 * *"}
DAILY_DEADLINE = "0 12 * * *"


def period_job_name(period_type: str) -> str:
    return f"{period_type}_models_job"


def closing_schedule(devlens: DevLens, period_type: str) -> dg.ScheduleDefinition:
    calendar = devlens.calendar

    @dg.schedule(
        name=f"close_{period_type}_periods",
        cron_schedule=CLOSE_CRON[period_type],
        job_name=period_job_name(period_type),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Materialize the {period_type} period that ended at midnight UTC.",
    )
    def _close(context: dg.ScheduleEvaluationContext):
        today = context.scheduled_execution_time.astimezone(timezone.utc).date()
        period = calendar.containing(period_type, today - timedelta(days=1))
        if period.end != today:
            return dg.SkipReason(f"no {period_type} period ended at {today} 00:00 UTC")
        if period.start < calendar.first_period(period_type).start:
            return dg.SkipReason(f"{period.key} is before the calendar start {calendar.start}")
        if period_type == "biweekly":
            register_biweekly_partitions(context.instance, calendar, today)
        return dg.RunRequest(run_key=f"close-{period_type}-{period.key}",
                             partition_key=calendar.partition_key(period_type, period.start),
                             tags={"devlens/trigger": "schedule"})

    return _close


def build_freshness_checks(period_assets) -> list:
    """The freshness checks of the period assets (evaluated by their sensor, never inside a run)."""
    freshness_checks: list = []
    for pt, deadline in FRESHNESS_DEADLINE.items():
        assets = [a for a in period_assets if a.key.path[0] == pt]
        freshness_checks += dg.build_time_partition_freshness_checks(
            assets=assets, deadline_cron=deadline, timezone="UTC", severity=dg.AssetCheckSeverity.ERROR
        )
    freshness_checks += dg.build_last_update_freshness_checks(
        assets=[a for a in period_assets if a.key.path[0] == "daily"], deadline_cron=DAILY_DEADLINE,
        lower_bound_delta=timedelta(hours=12), timezone="UTC", severity=dg.AssetCheckSeverity.ERROR,
    )
    return freshness_checks


def build_automation(devlens: DevLens, period_jobs: list, ingest_job, publish_job, period_assets, freshness_checks):
    schedules = [
        dg.ScheduleDefinition(
            name="nightly_ingest",
            cron_schedule="0 0 * * *",
            job=ingest_job,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description="Ingest every source and rebuild staging, before the periods close.",
        ),
        *[closing_schedule(devlens, pt) for pt in PERIOD_TYPES],
    ]

    @dg.sensor(
        name="late_data_sensor",
        jobs=period_jobs,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Recompute exactly the partitions each ingest touched (late reviews, merges, "
        "backdated commits, re-attributed commits), as single-run ranges.",
    )
    def late_data_sensor(context: dg.SensorEvaluationContext):
        return late_data_requests(devlens, context.instance, context.cursor, datetime.now(timezone.utc),
                                  period_assets)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        request_job=publish_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=False,
        description="After every successful run that wrote period tables, publish once.",
    )
    def publish_after_success(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        wrote_periods = run.job_name in {period_job_name(pt) for pt in PERIOD_TYPES} or any(
            key.path[0] in PERIOD_TYPES for key in (run.asset_selection or ())
        )
        if not wrote_periods:
            return dg.SkipReason(f"run {run.run_id} wrote no period tables")
        # a late-data batch or a backfill may be several runs: publish once, after the last
        pending = dg.RunsFilter(job_name=None, statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                                                          dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])
        others = [r for r in context.instance.get_runs(filters=pending, limit=50)
                  if r.run_id != run.run_id and r.job_name in {period_job_name(pt) for pt in PERIOD_TYPES}]
        if others:
            return dg.SkipReason(f"{len(others)} more period runs to go; the last one publishes")
        return dg.RunRequest(run_key=f"publish-after-{run.run_id}")

    @dg.sensor(
        minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Registers each ended biweekly period as a partition of the biweekly assets.",
    )
    def biweekly_periods(context: dg.SensorEvaluationContext):
        new = register_biweekly_partitions(context.instance, devlens.calendar, datetime.now(timezone.utc))
        return dg.SkipReason(f"registered {len(new)} new biweekly periods" if new else "no new biweekly period")

    freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks, default_status=dg.DefaultSensorStatus.RUNNING,
        name="period_freshness_checks",
    )
    sensors = [late_data_sensor, publish_after_success, biweekly_periods, freshness_sensor]
    return schedules, sensors


def model_check_keys(assets, keys) -> set[dg.AssetCheckKey]:
    """The checks the models ``keys`` carry themselves (``assets``: Definitions or assets definitions)."""
    if isinstance(assets, dg.Definitions):
        assets = [assets.resolve_assets_def(k) for k in keys]
    wanted = set(keys)
    return {c for a in assets for c in a.check_keys if c.asset_key in wanted}


def late_data_requests(devlens: DevLens, instance: dg.DagsterInstance, cursor: str | None, now: datetime,
                       period_assets=None):
    """The run requests for every late-data batch materialized after ``cursor``."""
    after = int(cursor) if cursor else None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=LATE_DATA_KEY, after_storage_id=after), limit=1000, ascending=True
    ).records
    if not records:
        return dg.SkipReason("no new late-data batch")
    # period -> the latest batch that touched it
    touched: dict[str, dict[str, int]] = {pt: {} for pt in PERIOD_TYPES}
    for record in records:
        periods = record.asset_materialization.metadata["periods"].value
        for pt, keys in periods.items():
            for key in keys:
                touched[pt][key] = record.storage_id
    last = records[-1].storage_id
    pending = {pt: sorted(_not_recomputed_since(instance, devlens, pt, keys)) for pt, keys in touched.items()}
    plan = plan_runs(pending, devlens.project, devlens.calendar, now, computed=materialized_partitions(instance))
    if any(run.period_type == "biweekly" for run in plan):
        register_biweekly_partitions(instance, devlens.calendar, now)
    requests = [
        dg.RunRequest(
            run_key=f"late-data-{last}-{run.period_type}-{run.first_key}-{run.last_key}-"
            + hashlib.sha256(",".join(run.models).encode()).hexdigest()[:8],
            job_name=period_job_name(run.period_type),
            asset_selection=[dg.AssetKey([run.period_type, m]) for m in run.models],
            # the models' own checks, not the freshness checks (None: Dagster's default, all of them)
            asset_check_keys=None if period_assets is None else sorted(
                model_check_keys(period_assets, [dg.AssetKey([run.period_type, m]) for m in run.models])),
            tags={**run.tags, "devlens/trigger": "late-data"},
        )
        for run in plan
    ]
    if not requests:
        return dg.SensorResult(skip_reason="the new batches touched no ended period", cursor=str(last))
    return dg.SensorResult(run_requests=requests, cursor=str(last))


def _not_recomputed_since(instance: dg.DagsterInstance, devlens: DevLens, period_type: str,
                          batch_of: dict[str, int]) -> set[str]:
    """The touched periods whose partition was not materialized since the batch that touched them.

    A backfill, ``devlens sync`` or an earlier tick may already have redone
    them; asking Dagster's event log (not the warehouse, which a writer may
    hold) keeps each change handled once, and a sensor turned on after a
    big backfill requests nothing it has already done.
    """
    if not batch_of:
        return set()
    key = dg.AssetKey([period_type, SPINE_MODEL])
    pending: set[str] = set()
    for period, batch_storage_id in batch_of.items():
        partition = devlens.calendar.partition_key(period_type, period)
        newer = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition], after_storage_id=batch_storage_id),
            limit=1,
        ).records
        if not newer:
            pending.add(period)
    return pending


def materialized_partitions(instance: dg.DagsterInstance):
    """``(period_type, model) -> partitions materialized so far``, from the event log."""

    def computed(period_type: str, model: str) -> set[str]:
        return set(instance.get_materialized_partitions(dg.AssetKey([period_type, model])))

    return computed
