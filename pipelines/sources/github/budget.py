"""Estimate the GitHub request budget of a full ingest before running it.

Commit details (one ``GET /commits/{sha}`` per commit, for stats and files)
dominate; then four requests per pull request (the PR, its commits, files
and reviews). The estimate lists the repositories (as the ingest would),
probes a sample of them cheaply and scales up:

- default-branch commits since ``since``: ``/commits?since=&per_page=1``,
  whose ``Link: rel="last"`` page number is the count (1 request);
- pull requests updated since ``since``: the PR list sorted by ``updated``
  (up to ``max_pr_pages`` pages of 100, then an upper bound from ``last``);
- commits already carrying stats in the warehouse (say, from the git
  source) are subtracted: they need no detail request;
- dependency-manifest contents (one ``/contents/{path}?ref=`` per manifest
  a commit changed): the backlog already in the warehouse's commit files is
  counted; manifests in commits not yet detailed cannot be known before
  their files are read, and are left out (typically a small share).

``GET /rate_limit`` is free and gives the hourly limit to convert requests
into hours.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from pipelines.config import GithubSettings, Workspace
from pipelines.warehouse.raw_writer import ensure_raw_schema

from . import rows as R
from .client import ClientOptions, GithubClient
from pipelines.sources.manifests import manifest_ecosystem

from .ingest import (
    MANIFEST_PREFILTER,
    IngestReport,
    LogTarget,
    _GithubIngest,
    _Log,
    _gather,
    _utc_naive,
    resolve_api_url,
    resolve_token,
    run_sync,
)

# Commits a pull request adds that the default branch does not show
# (squash and rebase merges, closed PRs). An assumption, not a measurement.
PR_ONLY_COMMITS_PER_PR = 2.0
REQUESTS_PER_PR = 4  # GET /pulls/{n}, its commits, files, reviews


@dataclass
class RepoProbe:
    repository: str
    commits: int
    pull_requests: int
    pull_requests_exact: bool
    commits_with_stats: int
    authors: set[str] = field(default_factory=set)
    manifest_contents: int = 0  # manifest commit files without content in the warehouse (requests)


@dataclass
class BudgetEstimate:
    workspace_id: str
    since: datetime
    repositories: int
    sampled: list[RepoProbe]
    commits: int
    pull_requests: int
    requests: dict[str, int]
    probe_requests: int
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset: datetime | None = None

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def hours_at_limit(self) -> float | None:
        if not self.rate_limit:
            return None
        return self.total_requests / self.rate_limit

    def as_metadata(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "sampled_repositories": len(self.sampled),
            "estimated_commits": self.commits,
            "estimated_pull_requests": self.pull_requests,
            "estimated_requests": self.total_requests,
            "estimated_requests_by_kind": dict(self.requests),
            "estimate_cost_requests": self.probe_requests,
            "rate_limit_per_hour": self.rate_limit,
            "hours_at_rate_limit": round(self.hours_at_limit, 2) if self.hours_at_limit is not None else None,
        }

    def summary(self) -> str:
        by_kind = " · ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(self.requests.items(), key=lambda kv: -kv[1]))
        lines = [
            f"GitHub request budget for workspace {self.workspace_id} since {R.iso(self.since)}: "
            f"{self.repositories} repositories ({len(self.sampled)} probed"
            f"{'' if len(self.sampled) >= self.repositories else ', figures scaled up'})",
            f"  default-branch commits ≈ {self.commits:,}; pull requests ≈ {self.pull_requests:,}",
            f"  requests ≈ {self.total_requests:,}: {by_kind}",
        ]
        if self.rate_limit:
            reset = f", resets {self.rate_reset:%H:%M} UTC" if self.rate_reset else ""
            left = f" ({self.rate_remaining:,} left{reset})" if self.rate_remaining is not None else ""
            lines.append(
                f"  rate limit {self.rate_limit:,}/hour{left}: ≈ {self.hours_at_limit:.1f} hours of requests"
            )
        lines.append(
            f"  (this estimate cost {self.probe_requests} requests; commit details dominate — a local git "
            "mirror ingested first supplies commit stats and files instead)"
        )
        return "\n".join(lines)


def _last_page(links: dict[str, str]) -> int | None:
    last = links.get("last")
    if not last:
        return None
    pages = parse_qs(urlsplit(last).query).get("page")
    try:
        return int(pages[0]) if pages else None
    except ValueError:
        return None


def estimate_budget(
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    settings: GithubSettings,
    *,
    since: datetime | date,
    log: LogTarget | None = None,
    token: str | None = None,
    api_url: str | None = None,
    commit_details: bool = True,
    sample: int = 20,
    max_pr_pages: int = 5,
    options: ClientOptions | None = None,
) -> BudgetEstimate:
    """Estimate the requests a full ingest of ``workspace`` needs (see module doc)."""
    token = resolve_token(token)
    url = resolve_api_url(settings, api_url)
    logger = _Log(log, token)
    ensure_raw_schema(con)
    since = _utc_naive(since)

    async def main() -> BudgetEstimate:
        async with GithubClient(url, token, concurrency=settings.concurrency, options=options, log=logger) as client:
            report = IngestReport(run_id="estimate", workspace_id=workspace.id, api_url=url)
            job = _GithubIngest(
                con, workspace, settings, since=since, run_id="estimate", log=logger,
                client=client, report=report, commit_details=commit_details,
            )
            repos = sorted(await job.resolve_repositories(), key=lambda r: r[0].lower())
            listing_requests = client.stats.requests
            n = len(repos)
            if n <= sample:
                chosen = repos
            else:
                step = n / sample
                chosen = [repos[int(i * step)] for i in range(sample)]
            pp = client.options.per_page

            async def probe(name: str, listed: dict | None) -> RepoProbe:
                repo_json = listed if listed is not None else (await client.get(f"/repos/{name}")).data or {}
                full = repo_json.get("full_name", name)
                key = full.lower()
                c = await client.get(f"/repos/{full}/commits", params={"since": R.iso(since), "per_page": 1})
                commits = (_last_page(c.links) or len(c.data or [])) if c.ok else 0
                prs, exact, authors = 0, True, set()
                page_url: str | None = client.url(
                    f"/repos/{full}/pulls", {"state": "all", "sort": "updated", "direction": "desc", "per_page": pp}
                )
                pages = 0
                while page_url:
                    p = await client.get(page_url)
                    if not p.ok:
                        break
                    pages += 1
                    items = [x for x in p.data or [] if isinstance(x, dict)]
                    fresh = [x for x in items if (R.ts(x.get("updated_at")) or since) >= since]
                    prs += len(fresh)
                    authors.update((x.get("user") or {}).get("login") or "" for x in fresh)
                    if len(fresh) < len(items) or not p.next_url:
                        break
                    if pages >= max_pr_pages:
                        last = _last_page(p.links)
                        if last:
                            prs += (last - pages) * pp  # upper bound: assume the rest is recent
                        exact = False
                        break
                    page_url = p.next_url
                with_stats = con.execute(
                    "select count(*) from raw.commits where repository = ? and additions is not null", [key]
                ).fetchone()[0]
                authors.discard("")
                contents = sum(
                    k
                    for path, k in con.execute(
                        f"select f.path, count(*) {_GithubIngest._CONTENTS_BACKLOG} and f.status is distinct from 'removed' "
                        "group by f.path",
                        [key, MANIFEST_PREFILTER],
                    ).fetchall()
                    if manifest_ecosystem(path) is not None
                )
                return RepoProbe(key, commits, prs, exact, with_stats, authors, contents)

            probes: list[RepoProbe] = await _gather(probe(name, listed) for name, listed in chosen)
            rate = await client.get("/rate_limit")
            core = ((rate.data or {}).get("resources") or {}).get("core") if rate.ok else None

            scale = n / len(probes) if probes else 0.0
            per_repo: dict[str, float] = {
                "commit_lists": sum(max(1, math.ceil(p.commits / pp)) for p in probes),
                "pull_request_lists": sum(max(1, math.ceil(p.pull_requests / pp)) for p in probes),
                "pull_request_details": sum(p.pull_requests * REQUESTS_PER_PR for p in probes),
                "review_comment_lists": sum(1 + math.ceil(p.pull_requests / pp) for p in probes),
                "commit_details": sum(
                    max(0, p.commits + p.pull_requests * PR_ONLY_COMMITS_PER_PR - p.commits_with_stats) for p in probes
                )
                if commit_details
                else 0,
                "manifest_contents": sum(p.manifest_contents for p in probes) if commit_details else 0,
            }
            authors = set().union(*(p.authors for p in probes)) if probes else set()
            requests = {k: int(round(v * scale)) for k, v in per_repo.items()}
            requests["repositories"] = listing_requests + sum(
                1 for _, listed in repos if listed is None or listed.get("fork")
            )
            requests["users"] = int(round(len(authors) * scale))
            if workspace.teams_from_github:
                requests["teams"] = max(1, len(job.orgs)) * 2
            est = BudgetEstimate(
                workspace_id=workspace.id,
                since=since,
                repositories=n,
                sampled=probes,
                commits=int(round(sum(p.commits for p in probes) * scale)),
                pull_requests=int(round(sum(p.pull_requests for p in probes) * scale)),
                requests=requests,
                probe_requests=client.stats.requests,
                rate_limit=core.get("limit") if core else None,
                rate_remaining=core.get("remaining") if core else None,
                rate_reset=datetime.fromtimestamp(core["reset"], tz=timezone.utc).replace(tzinfo=None)
                if core and core.get("reset")
                else None,
            )
            return est

    started = time.monotonic()
    estimate = run_sync(main)
    logger.info(estimate.summary())
    logger.info(f"(estimated in {time.monotonic() - started:.1f} s)")
    return estimate
