"""The publish asset: copies the served tables to a new serving version."""


import dagster as dg

from pipelines.context import DevLens
from pipelines.publish import publish
from pipelines.warehouse.connection import WRITER_POOL

PUBLISH_KEY = dg.AssetKey(["serving", "published"])


def build_publish_asset(devlens: DevLens) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        group_name="serving",
        pool=WRITER_POOL,
        description="The serving store the API reads: every served table copied into a new versioned "
        "DuckDB file and switched in atomically (the API never opens the warehouse). Runs after every "
        "successful run that wrote period tables.",
        kinds={"duckdb"},
    )
    def published(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with devlens.writer() as con:
            result = publish(con, devlens.project, devlens.serving_dir, run_id=context.run_id,
                             keep=devlens.cfg.warehouse.keep_versions)
        context.log.info(f"published data version {result.version} ({len(result.tables)} tables) to {result.path}")
        return dg.MaterializeResult(
            metadata={
                "data_version": result.version,
                "path": str(result.path),
                "tables": dg.MetadataValue.json(result.tables),
            }
        )

    return published
