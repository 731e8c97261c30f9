"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs``."""


from datetime import datetime, timezone

import dagster as dg

from assets.ingest import build_ingest_assets
from assets.publish import PUBLISH_KEY, build_publish_asset
from assets.sql_models import build_model_assets

from .calendar import PERIOD_TYPES, register_biweekly_partitions
from .context import DevLens

INGEST_JOB = "ingest_job"
PUBLISH_JOB = "publish_job"


def period_job_name(period_type: str) -> str:
    return f"{period_type}_models_job"


def build_definitions(devlens: DevLens) -> dg.Definitions:
    ingest_assets = build_ingest_assets(devlens)
    model_assets = build_model_assets(devlens)
    publish_asset = build_publish_asset(devlens)

    ingest_job = dg.define_asset_job(
        INGEST_JOB,
        selection=dg.AssetSelection.groups("ingest", "staging"),
        description="Ingest every source, then rebuild the staging tables.",
    )
    period_jobs = [
        dg.define_asset_job(
            period_job_name(pt),
            selection=dg.AssetSelection.groups(pt),
            partitions_def=devlens.calendar.partitions_def(pt),
            description=f"Compute every {pt} period model for a partition or a range of partitions.",
        )
        for pt in PERIOD_TYPES
    ]
    publish_job = dg.define_asset_job(PUBLISH_JOB, selection=dg.AssetSelection.assets(PUBLISH_KEY),
                                      description="Publish the served tables to a new data version.")

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        request_job=publish_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After every successful run that wrote period tables, publish once.",
    )
    def publish_after_success(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if run.job_name not in {period_job_name(pt) for pt in PERIOD_TYPES} and not any(
            key.path[0] in PERIOD_TYPES for key in (run.asset_selection or ())
        ):
            return dg.SkipReason(f"run {run.run_id} wrote no period tables")
        return dg.RunRequest(run_key=f"publish-after-{run.run_id}")

    @dg.sensor(
        minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Registers each ended biweekly period as a partition of the biweekly assets.",
    )
    def biweekly_periods(context: dg.SensorEvaluationContext):
        new = register_biweekly_partitions(context.instance, devlens.calendar, datetime.now(timezone.utc))
        return dg.SkipReason(f"registered {len(new)} new biweekly periods" if new else "no new biweekly period")

    return dg.Definitions(
        assets=[*ingest_assets, *model_assets, publish_asset],
        jobs=[ingest_job, *period_jobs, publish_job],
        sensors=[publish_after_success, biweekly_periods],
        executor=dg.in_process_executor,
    )


def load_definitions() -> dg.Definitions:
    return build_definitions(DevLens.load())


defs = load_definitions()
