"""One Dagster asset per table model, and per period model and period type.

Period assets (key ``<period_type>/<model>``) are partitioned by that type's
periods (daily ones by month: see :mod:`pipelines.calendar`) and backfill as
a single run: the run computes every ended period of its partition range
with one statement per model and writes it atomically. Checks run once per
run over the range written.
"""


from datetime import datetime, timezone

import dagster as dg

from pipelines.calendar import NOW_TAG, PERIOD_TYPES, Period
from pipelines.context import DevLens
from pipelines.modeling import Model
from pipelines.modeling.materialize import BuildResult, build_period_range, build_table, run_checks
from pipelines.warehouse.connection import WRITER_POOL

from .ingest import INGEST_KEYS

PREVIEW_ROWS = 10


def table_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey([model.folder, model.name])


def period_key(period_type: str, model: Model) -> dg.AssetKey:
    return dg.AssetKey([period_type, model.name])


def _column_schema(docs: dict[str, str], columns: list[tuple[str, str]] | None = None) -> dg.TableSchema:
    """The columns written (or, before a run, those described) with their descriptions."""
    if columns is None:
        return dg.TableSchema(columns=[dg.TableColumn(n, "", description=d) for n, d in docs.items()])
    return dg.TableSchema(columns=[dg.TableColumn(n, t.lower(), description=docs.get(n)) for n, t in columns])


def _check_specs(model: Model, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    specs = []
    if model.unique_key:
        specs.append(dg.AssetCheckSpec("unique_key", asset=key, description=f"({', '.join(model.unique_key)}) is unique"))
    if model.checks.non_negative:
        specs.append(dg.AssetCheckSpec("non_negative", asset=key, description="counts and rates are >= 0"))
    if model.checks.ratios:
        specs.append(dg.AssetCheckSpec("ratios_in_unit_interval", asset=key, description="ratios are in [0, 1]"))
    for col, expr in model.checks.equal:
        specs.append(dg.AssetCheckSpec(f"{col}_definition", asset=key, description=f"{col} = {expr}"))
    for name, _ in model.checks.reconcile:
        specs.append(dg.AssetCheckSpec(name, asset=key, description=f"reconciliation: {name.replace('_', ' ')}"))
    return specs


def _preview(con, relation: str, where: str, params: list) -> dg.MetadataValue:
    cur = con.execute(f"select * from {relation} where {where} limit {PREVIEW_ROWS}", params)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in rows]
    return dg.MetadataValue.md("\n".join(lines))


def _deps(devlens: DevLens, model: Model, period_type: str | None) -> list[dg.AssetKey]:
    keys: list[dg.AssetKey] = []
    deps = devlens.project.materialized_deps(model.name)  # through ephemeral models
    for name in deps.models:
        dep = devlens.project.models[name]
        keys.append(period_key(period_type, dep) if dep.period_scoped else table_key(dep))
    sources = deps.sources
    if any(s.startswith("raw.") for s in sources):
        keys += [k for k in INGEST_KEYS if k.path[-1] != "workspace_config"]
    if any(s.startswith("config.") for s in sources):
        keys.append(dg.AssetKey(["ingest", "workspace_config"]))
    return keys


def contiguous_ranges(periods: list[Period]) -> list[tuple[Period, Period]]:
    """Split sorted periods into runs of adjacent periods."""
    ranges: list[tuple[Period, Period]] = []
    for p in sorted(periods):
        if ranges and ranges[-1][1].end == p.start:
            ranges[-1] = (ranges[-1][0], p)
        else:
            ranges.append((p, p))
    return ranges


def build_table_asset(devlens: DevLens, model: Model) -> dg.AssetsDefinition:
    key = table_key(model)

    @dg.asset(
        key=key,
        group_name=model.folder,
        description=model.description,
        deps=_deps(devlens, model, None),
        code_version=devlens.code_version(model.name),
        pool=WRITER_POOL,
        check_specs=_check_specs(model, key),
        metadata={"dagster/column_schema": _column_schema(devlens.project.column_docs(model.name)),
                  "grain": model.grain, "sql": str(model.path)},
        kinds={"duckdb", "sql"},
    )
    def _table(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with devlens.writer() as con:
            result = build_table(con, devlens.project, model.name)
            checks = run_checks(con, model, result.relation, reconcile=devlens.project.render_checks(model.name))
            preview = _preview(con, result.relation, "true", [])
        context.log.info(f"{result.relation}: {result.row_count} rows")
        return _result(devlens.project.column_docs(model.name), result, checks, preview, key)

    return _table


def build_period_asset(devlens: DevLens, model: Model, period_type: str) -> dg.AssetsDefinition:
    key = period_key(period_type, model)
    calendar = devlens.calendar

    @dg.asset(
        key=key,
        group_name=period_type,
        description=f"{model.description}\n\nPeriod type: {period_type}. Grain: {model.grain}.",
        deps=_deps(devlens, model, period_type),
        partitions_def=calendar.partitions_def(period_type),
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=devlens.code_version(model.name),
        pool=WRITER_POOL,
        check_specs=_check_specs(model, key),
        metadata={
            "dagster/column_schema": _column_schema(devlens.project.column_docs(model.name)),
            "grain": model.grain,
            "sql": str(model.path),
            "served": model.serve,
        },
        kinds={"duckdb", "sql"},
    )
    def _period(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        now = run_now(context)
        periods = [p for k in context.partition_keys for p in calendar.partition_periods(period_type, k, now)]
        if not periods:
            context.log.info(f"no {period_type} period of {context.partition_keys} has ended by {now:%Y-%m-%d %H:%M} UTC")
            return dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "periods": 0},
                check_results=[dg.AssetCheckResult(passed=True, asset_key=key, check_name=spec.name,
                                                   metadata={"periods": 0}) for spec in _check_specs(model, key)],
            )
        ranges = contiguous_ranges(periods)
        results: list[BuildResult] = []
        with devlens.writer() as con:
            for first, last in ranges:
                context.log.info(
                    f"computing {key.to_user_string()} for {period_type} periods {first.key} .. {last.key} "
                    f"({len(periods)} periods) in one statement"
                )
                results.append(
                    build_period_range(con, devlens.project, model.name, period_type, first.start, last.end,
                                       context.run_id)
                )
            where = " or ".join("(period_start >= ? and period_start < ?)" for _ in ranges)
            params = [v for first, last in ranges for v in (first.start, last.end)]
            relation = results[0].relation
            reconcile = [
                check for first, last in ranges
                for check in devlens.project.render_checks(model.name, period_type, first.start, last.end)
            ]
            checks = _merge_outcomes(run_checks(con, model, relation, where, params, reconcile))
            preview = _preview(con, relation, where, params)
        total = BuildResult(relation, sum(r.row_count for r in results), results[-1].columns)
        for r in results:
            total.rows_per_partition.update(r.rows_per_partition)
            if r.schema_reset:
                context.log.warning(
                    f"{relation} changed columns: its other partitions were dropped; backfill the full range"
                )
        return _result(devlens.project.column_docs(model.name), total, checks, preview, key, periods=periods)

    return _period


def run_now(context: dg.AssetExecutionContext) -> datetime:
    tag = context.op_execution_context.run_tags.get(NOW_TAG)  # also set when invoked directly
    return datetime.fromisoformat(tag) if tag else datetime.now(timezone.utc)


def _merge_outcomes(outcomes):
    """One outcome per check name (a reconcile check runs once per contiguous range)."""
    merged = {}
    for o in outcomes:
        if o.name in merged:
            m = merged[o.name]
            m.failing_rows += o.failing_rows
            m.passed = m.passed and o.passed
        else:
            merged[o.name] = o
    return list(merged.values())


def _result(docs: dict[str, str], result: BuildResult, checks, preview, key, periods: list[Period] | None = None
            ) -> dg.MaterializeResult:
    metadata: dict = {
        "dagster/row_count": result.row_count,
        "dagster/column_schema": _column_schema(docs, result.columns),
        "table": result.relation,
        "preview": preview,
    }
    if periods is not None:
        metadata["periods"] = len(periods)
        metadata["first_period"] = periods[0].key
        metadata["last_period"] = periods[-1].key
        metadata["empty_periods"] = sum(1 for n in result.rows_per_partition.values() if n == 0)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                passed=c.passed,
                asset_key=key,
                check_name=c.name,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"failing_rows": c.failing_rows, "rule": c.description},
            )
            for c in checks
        ],
    )


def build_model_assets(devlens: DevLens) -> list[dg.AssetsDefinition]:
    out = [build_table_asset(devlens, m) for m in devlens.project.table_models()]
    for pt in PERIOD_TYPES:
        out += [build_period_asset(devlens, m, pt) for m in devlens.project.period_models()]
    return out
