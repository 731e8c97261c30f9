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
        description="The serving store the API reads: every served table in a new versioned DuckDB file, "
        "switched in atomically (the API never opens the warehouse). Incremental when it can be: a copy of "
        "the previous version with only the partitions recomputed since replaced. Runs after every "
        "successful run that wrote period tables.",
        kinds={"duckdb"},
    )
    def published(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with devlens.writer() as con:
            result = publish(con, devlens.project, devlens.serving_dir, run_id=context.run_id,
                             keep=devlens.cfg.warehouse.keep_versions)
        modes = {m: sorted(t for t, mode in result.modes.items() if mode == m) for m in ("copied", "updated", "kept")}
        context.log.info(
            f"published data version {result.version} ({len(result.tables)} tables) to {result.path}: "
            + ("incremental, " if result.incremental else "full copy, ")
            + ", ".join(f"{len(tables)} {m}" for m, tables in modes.items() if tables)
        )
        return dg.MaterializeResult(
            metadata={
                "data_version": result.version,
                "path": str(result.path),
                "incremental": result.incremental,
                "tables": dg.MetadataValue.json(result.tables),
                "tables_updated": dg.MetadataValue.json(modes["updated"]),
                "tables_copied": dg.MetadataValue.json(modes["copied"]),
            }
        )

    return published
