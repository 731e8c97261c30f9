"""Run DevLens jobs in-process against the configured Dagster instance.

The CLI uses these; every run shows up in the Dagster UI of the same
instance, exactly as if it had been launched there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone

import dagster as dg

from .automation import LATE_DATA_KEY, materialized_partitions, model_check_keys
from .calendar import NOW_TAG, PERIOD_TYPES, register_biweekly_partitions
from .context import DevLens
from .definitions import INGEST_JOB, PUBLISH_JOB, build_definitions, period_job_name
from .late_data import plan_runs
from .publish import current_version


class RunFailed(RuntimeError):
    pass


@dataclass
class RunSummary:
    job: str
    run_id: str
    partitions: list[str] = field(default_factory=list)  # Dagster partition keys
    periods: int = 0  # the periods those partitions held
    rows: dict[str, int] = field(default_factory=dict)
    touched: dict[str, list[str]] = field(default_factory=dict)  # an ingest's late-data batch: periods per type

    def as_dict(self) -> dict:
        return asdict(self)


class Runner:
    def __init__(self, devlens: DevLens, instance: dg.DagsterInstance, log_level: str = "WARNING"):
        self.devlens = devlens
        self.instance = instance
        self.defs = build_definitions(devlens)
        # The run's full event log is in the Dagster UI; the console gets the level asked for.
        self.run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}

    def _execute(self, job_name: str, tags: dict | None = None, partition_key: str | None = None,
                 asset_selection: list[dg.AssetKey] | None = None) -> RunSummary:
        job = self.defs.resolve_job_def(job_name)
        if asset_selection is not None:
            # the selected models with their own checks (a bare asset selection would add the
            # freshness checks, which are the freshness sensor's to evaluate)
            job = job.get_subset(asset_selection=set(asset_selection),
                                 asset_check_selection=model_check_keys(self.defs, asset_selection))
        result = job.execute_in_process(run_config=self.run_config, instance=self.instance, tags=tags or {},
                                        partition_key=partition_key, raise_on_error=False)
        if not result.success:
            failures = [
                f"{e.step_key}: {_root_cause(e.event_specific_data.error)}"
                for e in result.all_events
                if e.event_type == dg.DagsterEventType.STEP_FAILURE
            ]
            raise RunFailed(f"run {result.run_id} of {job_name} failed:\n  " + "\n  ".join(failures))
        summary = RunSummary(job_name, result.run_id)
        for mat in result.get_asset_materialization_events():
            m = mat.event_specific_data.materialization
            count = m.metadata.get("dagster/row_count")
            if count is not None:
                summary.rows[m.asset_key.to_user_string()] = count.value
            if m.asset_key == LATE_DATA_KEY:
                summary.touched = m.metadata["periods"].value
        return summary

    def ingest(self, now: datetime | None = None) -> RunSummary:
        """Ingest every source; the late-data batch counts periods ended by ``now`` (default: the clock)."""
        return self._execute(INGEST_JOB, tags={NOW_TAG: now.isoformat()} if now else None)

    def backfill(self, date_from: date, date_to: date, period_types=PERIOD_TYPES, now: datetime | None = None
                 ) -> list[RunSummary]:
        """One single-run range per period type over the partitions holding the ended periods
        overlapping [from, to] (for daily periods: whole months, up to ``now``)."""
        now = now or datetime.now(timezone.utc)
        calendar = self.devlens.calendar
        register_biweekly_partitions(self.instance, calendar, now)
        out = []
        for pt in period_types:
            keys = calendar.partition_keys(pt, calendar.periods_for_range(pt, date_from, date_to, now))
            if not keys:
                continue
            tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
            out.append(self._run_partitions(pt, keys, tags, now))
        return out

    def _run_partitions(self, period_type: str, keys: list[str], tags: dict, now: datetime,
                        asset_selection: list[dg.AssetKey] | None = None) -> RunSummary:
        summary = self._execute(period_job_name(period_type), tags={**tags, NOW_TAG: now.isoformat()},
                                asset_selection=asset_selection)
        summary.partitions = keys
        summary.periods = sum(len(self.devlens.calendar.partition_periods(period_type, k, now)) for k in keys)
        return summary

    def sync(self, now: datetime | None = None) -> tuple[RunSummary, list[RunSummary]]:
        """Ingest, then recompute exactly the partitions the new data touched (as the
        late-data sensor would), one single-run range per period type and model set."""
        now = now or datetime.now(timezone.utc)
        ingest = self.ingest(now)
        plan = plan_runs(ingest.touched, self.devlens.project, self.devlens.calendar, now,
                         computed=materialized_partitions(self.instance))
        if any(run.period_type == "biweekly" for run in plan):
            register_biweekly_partitions(self.instance, self.devlens.calendar, now)
        runs = []
        for run in plan:
            keys = [k for k in self.devlens.calendar.partition_keys(
                run.period_type, self.devlens.calendar.completed_periods(run.period_type, now))
                if run.first_key <= k <= run.last_key]
            runs.append(self._run_partitions(run.period_type, keys, {**run.tags, "devlens/trigger": "sync"}, now,
                                             [dg.AssetKey([run.period_type, m]) for m in run.models]))
        return ingest, runs

    def publish(self) -> RunSummary:
        summary = self._execute(PUBLISH_JOB)
        summary.rows = {"data_version": current_version(self.devlens.serving_dir)}
        return summary


def _root_cause(error) -> str:
    """The innermost error message: the user's cause, not Dagster's wrapper."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
