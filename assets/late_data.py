"""The late-data asset: after staging, the periods that an ingest touched."""

import dagster as dg

from pipelines.context import DevLens
from pipelines.late_data import affected_periods
from pipelines.warehouse.connection import WRITER_POOL
from pipelines.warehouse.raw_writer import ensure_raw_schema

from .sql_models import run_now, table_key

LATE_DATA_KEY = dg.AssetKey(["meta", "late_data"])


def build_late_data_asset(devlens: DevLens) -> dg.AssetsDefinition:
    @dg.asset(
        key=LATE_DATA_KEY,
        group_name="staging",
        deps=[table_key(m) for m in devlens.project.table_models()],
        pool=WRITER_POOL,
        description="The periods the latest ingest touched: periods containing a changed row's "
        "timestamps or its pull request's, and periods of commits whose developer changed. The late-data "
        "sensor and `devlens sync` recompute exactly these (plus the later periods 'as of' models need).",
        kinds={"duckdb"},
    )
    def late_data(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with devlens.writer() as con:
            ensure_raw_schema(con)
            batch = affected_periods(con, devlens.calendar, run_now(context))
        summary = ", ".join(f"{pt}: {len(keys)}" for pt, keys in batch.periods.items())
        context.log.info(f"late-data batch {batch.batch_id} (change log {batch.first_seq}..{batch.last_seq}): {summary}")
        return dg.MaterializeResult(
            metadata={
                "batch_id": batch.batch_id,
                "periods": dg.MetadataValue.json(batch.periods),
                "touched_periods": sum(len(k) for k in batch.periods.values()),
            }
        )

    return late_data
