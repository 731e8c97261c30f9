"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs``."""

import os

import dagster as dg

from assets.ingest import build_ingest_assets
from assets.late_data import build_late_data_asset
from assets.publish import PUBLISH_KEY, build_publish_asset
from assets.sql_models import build_model_assets

from .automation import INGEST_JOB, PUBLISH_JOB, build_automation, build_freshness_checks, period_job_name
from .calendar import PERIOD_TYPES
from .context import DevLens

__all__ = ["INGEST_JOB", "PUBLISH_JOB", "build_definitions", "period_job_name", "defs"]

# A single-run backfill logs one "materialization planned" event per asset for its
# whole partition range instead of one per asset and partition (half of a
# backfill's events; bench/README.md). Dagster's documented trade-off: partitions of
# a failed run show as missing, not failed. The process that creates a run reads
# it: this one for `devlens` commands; the Makefile and the production section of
# README.md set it for dagster-webserver and dagster-daemon.
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")


def build_definitions(devlens: DevLens) -> dg.Definitions:
    ingest_assets = build_ingest_assets(devlens)
    model_assets = build_model_assets(devlens)
    period_assets = [a for a in model_assets if a.key.path[0] in PERIOD_TYPES]
    late_data = build_late_data_asset(devlens)
    publish_asset = build_publish_asset(devlens)

    ingest_job = dg.define_asset_job(
        INGEST_JOB,
        selection=dg.AssetSelection.groups("ingest", "staging"),
        description="Ingest every source, rebuild the staging tables, and record which partitions changed.",
    )
    freshness_checks = build_freshness_checks(period_assets)
    period_jobs = [
        dg.define_asset_job(
            period_job_name(pt),
            # the freshness checks are the sensor's to evaluate, not a step of every run
            selection=dg.AssetSelection.groups(pt) - dg.AssetSelection.checks(*freshness_checks),
            partitions_def=devlens.calendar.partitions_def(pt),
            description=f"Compute every {pt} period model for a partition or a range of partitions.",
        )
        for pt in PERIOD_TYPES
    ]
    publish_job = dg.define_asset_job(PUBLISH_JOB, selection=dg.AssetSelection.assets(PUBLISH_KEY),
                                      description="Publish the served tables to a new data version.")
    schedules, sensors = build_automation(devlens, period_jobs, ingest_job, publish_job, period_assets,
                                          freshness_checks)
    return dg.Definitions(
        assets=[*ingest_assets, *model_assets, late_data, publish_asset],
        asset_checks=freshness_checks,
        jobs=[ingest_job, *period_jobs, publish_job],
        schedules=schedules,
        sensors=sensors,
        executor=dg.in_process_executor,
    )


def load_definitions() -> dg.Definitions:
    return build_definitions(DevLens.load())


defs = load_definitions()
