"""Ingest assets (group ``ingest``): each source writes the raw schema.

Every source upserts by natural key and logs what it changed, so running
ingest twice, or after a crash, gives the same raw rows.
"""


import hashlib

import dagster as dg

from pipelines.context import DevLens
from pipelines.sources.demo import generate_demo
from pipelines.sources.git import ingest_git
from pipelines.sources.github import GithubSourceError, estimate_budget, ingest_github
from pipelines.warehouse.config_tables import write_config_tables
from pipelines.warehouse.connection import WRITER_POOL
from pipelines.warehouse.raw_writer import ensure_raw_schema

def _raw_counts(con) -> dict[str, int]:
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
    ).fetchall()
    return {t: con.execute(f"select count(*) from raw.{t}").fetchall()[0][0] for (t,) in tables}


def build_ingest_assets(devlens: DevLens) -> list[dg.AssetsDefinition]:
    cfg = devlens.cfg

    @dg.asset(
        key=["ingest", "workspace_config"],
        group_name="ingest",
        pool=WRITER_POOL,
        code_version=hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:16],
        description="The workspaces, teams, bots, identity aliases and working schedules of devlens.yaml, "
        "written to the warehouse `config` schema for the SQL models.",
        kinds={"duckdb"},
    )
    def workspace_config(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with devlens.writer() as con:
            counts = write_config_tables(con, cfg)
        context.log.info(f"config tables written: {counts}")
        return dg.MaterializeResult(metadata={f"rows/{k}": v for k, v in counts.items()})

    @dg.asset(
        key=["ingest", "demo"],
        group_name="ingest",
        pool=WRITER_POOL,
        description="The deterministic demo organisation (sources with `demo:` in devlens.yaml), "
        "written to the same raw tables the GitHub ingest writes.",
        kinds={"duckdb"},
    )
    def demo_source(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        summaries = []
        with devlens.writer() as con:
            ensure_raw_schema(con)
            for ws in cfg.workspaces:
                for src in ws.sources:
                    if src.demo is None:
                        continue
                    context.log.info(f"generating demo data for workspace {ws.id}: {src.demo}")
                    summaries.append(
                        generate_demo(
                            con, workspace_id=ws.id, developers=src.demo.developers, days=src.demo.days,
                            seed=src.demo.seed, start=cfg.calendar.start, run_id=context.run_id,
                            log=context.log.info,
                        )
                    )
            counts = _raw_counts(con)
        meta: dict = {f"raw/{k}": v for k, v in counts.items()}
        meta["workspaces"] = [s.workspace_id for s in summaries]
        return dg.MaterializeResult(metadata=meta)

    @dg.asset(
        key=["ingest", "git"],
        group_name="ingest",
        pool=WRITER_POOL,
        description="Local git repositories (sources with `git:`), read with `git log`: commits with "
        "per-file numstat, merge detection and the author's UTC offset.",
        kinds={"duckdb", "git"},
    )
    def git_source(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        reports = []
        with devlens.writer() as con:
            ensure_raw_schema(con)
            for ws in cfg.workspaces:
                for src in ws.sources:
                    if src.git is None:
                        continue
                    context.log.info(f"reading git history of {src.git.repo} from {src.git.path}")
                    report = ingest_git(con, src.git, ws.id, run_id=context.run_id, log=context.log)
                    for w in report.warnings:
                        context.log.warning(w)
                    reports.append(report)
        return dg.MaterializeResult(
            metadata={
                "repositories": len(reports),
                "commits_inserted": sum(r.commits_inserted for r in reports),
                "commits_updated": sum(r.commits_updated for r in reports),
                "warnings": sum(len(r.warnings) for r in reports),
            }
        )

    @dg.asset(
        key=["ingest", "github"],
        group_name="ingest",
        # after the git source: where a local mirror supplied a commit's stats
        # and files, the GitHub source skips its per-commit detail request
        deps=[git_source],
        pool=WRITER_POOL,
        description="GitHub REST (public or Enterprise via GITHUB_API_URL, token from GITHUB_TOKEN): "
        "repositories, commits with stats and files, pull requests, PR commits and files, reviews, review "
        "comments, teams and users. Incremental per repository and entity, with an overlap window and a "
        "re-read of PRs still open; upserts by natural key.",
        kinds={"duckdb", "github"},
    )
    def github_source(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        workspaces = [ws for ws in cfg.workspaces if any(s.github for s in ws.sources)]
        metadata: dict = {"workspaces": [ws.id for ws in workspaces]}
        with devlens.writer() as con:
            ensure_raw_schema(con)
            first_run = not con.execute(
                "select count(*) from raw.ingest_cursors where source = 'github'"
            ).fetchall()[0][0]
            for ws in workspaces:
                if first_run:
                    budget = estimate_budget(con, ws, cfg.github, since=cfg.calendar.start, log=context.log)
                    context.log.info(f"request budget for a full ingest of {ws.id}:\n{budget.summary()}")
                    metadata[f"{ws.id}/estimated_requests"] = budget.total_requests
                try:
                    report = ingest_github(con, ws, cfg.github, since=cfg.calendar.start, run_id=context.run_id,
                                           log=context.log)
                except GithubSourceError as e:
                    partial = getattr(e, "report", None)
                    if partial is not None:
                        context.add_output_metadata({f"{ws.id}/{k}": v for k, v in partial.as_metadata().items()})
                    raise dg.Failure(description=str(e)) from None
                metadata.update({f"{ws.id}/{k}": v for k, v in report.as_metadata().items()})
        return dg.MaterializeResult(metadata=metadata)

    return [workspace_config, demo_source, git_source, github_source]


INGEST_KEYS = [dg.AssetKey(["ingest", n]) for n in ("workspace_config", "demo", "git", "github")]
