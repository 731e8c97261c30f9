"""Ingest a workspace's GitHub repositories into the raw schema.

Per repository, in this order (each step's cursor advances only after its
rows are committed, so a crash followed by a re-run gives the same rows):

1. the repository (``GET /repos/{r}``; for an organisation, its repo list);
2. default-branch commits, ``/commits?since=`` (a *committer*-date filter,
   hence the overlap window behind the cursor);
3. pull requests sorted by ``updated`` descending, stopping at the cursor
   minus the overlap, plus every PR that was still open at the last run;
   for each: ``GET /pulls/{n}`` (additions, deletions, changed_files,
   merged_by), its commits (the compare API completes PRs over GitHub's
   250-commit limit), files and reviews;
4. review comments, repository-wide ``/pulls/comments?since=``;
5. commit details (``/commits/{sha}``: stats and files) for every commit of
   the repository that has no stats yet (the git source may supply them);
6. dependency manifests (``raw.file_contents``): for every commit file that
   is a manifest (:func:`pipelines.sources.manifests.manifest_ecosystem`)
   and has no content row yet, ``/contents/{path}?ref={sha}`` (a removed
   file, and the old path of a renamed one, gets a NULL row without a
   request). Skipped with commit details.

Then teams and members (``teams_from_github``) and ``/users/{login}`` for
accounts seen for the first time (type, for bot detection).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import quote

import duckdb

from pipelines.config import GithubSettings, Workspace
from pipelines.sources.manifests import MANIFEST_RULES, decode_manifest, manifest_ecosystem
from pipelines.warehouse.raw_writer import ensure_raw_schema

from . import rows as R
from .client import ClientOptions, GithubClient, Response, display_url
from .errors import GithubNotFoundError, redact
from .writer import Cursor, RawWriter

PR_COMMITS_LIMIT = 250  # GitHub lists at most this many commits per PR
PR_FILES_LIMIT = 3000  # ... and this many files
PR_BATCH = 100  # PRs fetched concurrently (one list page)
DETAIL_BATCH = 200  # commit details / users / manifest contents fetched concurrently per batch


def _manifest_prefilter() -> str:
    """An RE2 pattern (DuckDB ``regexp_matches``) matching at least every
    manifest path: the file-name rules, all case-insensitive (a superset;
    :func:`manifest_ecosystem` decides)."""
    names = "|".join(re.escape(r.name).replace(r"\*", "[^/]*") for r in MANIFEST_RULES)
    return f"(?i)(^|/)({names})$"


MANIFEST_PREFILTER = _manifest_prefilter()

LogTarget = logging.Logger | Callable[[str], Any] | Any


# -- the report ---------------------------------------------------------------------


@dataclass
class Gap:
    """A sub-resource GitHub would not give (404, 403, 410, 422...): skipped."""

    kind: str
    repository: str | None
    path: str
    status: int | None
    message: str = ""


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0


@dataclass
class IngestReport:
    """What a run did; plain data for the Dagster asset's metadata."""

    run_id: str
    workspace_id: str
    api_url: str
    repositories: list[str] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    pages: int = 0
    gaps: list[Gap] = field(default_factory=list)
    rows: dict[str, TableCounts] = field(default_factory=dict)
    duration_seconds: float = 0.0
    completed: bool = False

    def gap_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(g.kind for g in self.gaps).items()))

    def rows_inserted(self) -> dict[str, int]:
        return {t: c.inserted for t, c in sorted(self.rows.items())}

    def rows_updated(self) -> dict[str, int]:
        return {t: c.updated for t, c in sorted(self.rows.items())}

    def as_metadata(self) -> dict[str, Any]:
        """Flat, JSON-able values (no token, no URLs with credentials)."""
        return {
            "workspace": self.workspace_id,
            "api_url": self.api_url,
            "repositories": len(self.repositories),
            "requests": self.requests,
            "not_modified_304": self.not_modified,
            "retries": self.retries,
            "rate_limit_waits": self.rate_limit_waits,
            "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 1),
            "pages": self.pages,
            "gaps": len(self.gaps),
            "gaps_by_kind": self.gap_counts(),
            "gap_examples": [f"{g.status} {g.path}" for g in self.gaps[:20]],
            "rows_inserted": self.rows_inserted(),
            "rows_updated": self.rows_updated(),
            "duration_seconds": round(self.duration_seconds, 2),
            "completed": self.completed,
        }


# -- logging --------------------------------------------------------------------------


class _Log:
    """Logs to a ``logging.Logger``-like object (info/warning) or a callable."""

    def __init__(self, target: LogTarget | None, secret: str | None):
        self.target = target
        self.secret = secret

    def __call__(self, level: str, message: str) -> None:
        message = redact(message, self.secret)
        t = self.target
        if t is None:
            return
        if hasattr(t, "info"):  # logging.Logger, Dagster's context.log, ...
            getattr(t, level, t.info)(message)
        else:
            t(message if level == "info" else f"{level}: {message}")

    def info(self, message: str) -> None:
        self("info", message)

    def warning(self, message: str) -> None:
        self("warning", message)


# -- helpers ----------------------------------------------------------------------


def _utc_naive(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


async def _gather(aws: Iterable[Awaitable[Any]]) -> list[Any]:
    """``asyncio.gather`` that cancels the rest when one fails."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _bounded(factories: Iterable[Callable[[], Awaitable[Any]]], limit: int) -> None:
    """Run coroutine factories with at most ``limit`` at a time; fail fast."""
    it = iter(factories)

    async def worker() -> None:
        for make in it:
            await make()

    await _gather(worker() for _ in range(max(1, limit)))


def resolve_api_url(settings: GithubSettings, api_url: str | None = None) -> str:
    return (api_url or os.environ.get("GITHUB_API_URL") or settings.api_url).rstrip("/")


def resolve_token(token: str | None) -> str | None:
    if token is None:
        token = os.environ.get("GITHUB_TOKEN")
    return token or None


def run_sync(make: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine from sync code, also when the caller already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@dataclass
class _Listed:
    """A complete (multi-page) listing of a small sub-resource."""

    status: int
    path: str
    items: list | None = None  # None for 304 and errors
    message: str = ""
    etag: tuple[str, str] | None = None  # (url, etag) when the listing was one page

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class _PrFetch:
    number: int
    list_item: dict | None
    single: Response | None = None
    commits: _Listed | None = None
    files: _Listed | None = None
    reviews: _Listed | None = None
    compare_commits: list | None = None
    compare_gap: Gap | None = None


# -- the run ------------------------------------------------------------------------


class _GithubIngest:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        workspace: Workspace,
        settings: GithubSettings,
        *,
        since: datetime,
        run_id: str,
        log: _Log,
        client: GithubClient,
        report: IngestReport,
        commit_details: bool,
    ):
        self.con = con
        self.workspace = workspace
        self.settings = settings
        self.since = since
        self.overlap = timedelta(days=settings.overlap_days)
        self.log = log
        self.client = client
        self.report = report
        self.commit_details = commit_details
        self.writer = RawWriter(con, run_id, self._count_rows)
        self.orgs: list[str] = []

    def _count_rows(self, table: str, inserted: int, updated: int) -> None:
        c = self.report.rows.setdefault(table, TableCounts())
        c.inserted += inserted
        c.updated += updated

    def gap(self, kind: str, repository: str | None, resp: Response | _Listed, note: str = "") -> Gap:
        message = resp.message if isinstance(resp, (Response, _Listed)) else ""
        g = Gap(kind, repository, resp.path, resp.status, note or message)
        self.report.gaps.append(g)
        self.log.warning(
            f"gap: GET {g.path} answered {g.status}{f' ({g.message})' if g.message else ''}; skipped ({kind})"
        )
        return g

    async def get(self, path: str, *, params: dict[str, Any] | None = None, etag: str | None = None) -> Response:
        r = await self.client.get(path, params=params, etag=etag)
        self.report.pages += 1
        return r

    # -- cursors ---------------------------------------------------------------

    def _cursor(self, repo: str, entity: str) -> Cursor | None:
        """The stored cursor, if it was collected from a ``since`` no later than ours."""
        row = self.writer.cursor_row(repo, entity)
        cur = Cursor.parse(row[0]) if row else None
        if cur is None or cur.since is None or cur.since > self.since:
            return None
        return cur

    def _lower(self, cur: Cursor | None) -> datetime:
        if cur is None or cur.max is None:
            return self.since
        return max(self.since, cur.max - self.overlap)

    def _advance(self, repo: str, entity: str, cur: Cursor | None, seen: datetime | None) -> None:
        since = cur.since if cur else self.since
        best = max([t for t in (cur.max if cur else None, seen) if t is not None], default=None)
        self.writer.set_cursor(repo, entity, Cursor(since, best).dumps())

    # -- repositories ----------------------------------------------------------

    async def resolve_repositories(self) -> list[tuple[str, dict | None]]:
        """(full_name, listed repo object or None), de-duplicated, in config order."""
        out: dict[str, tuple[str, dict | None]] = {}
        for i, source in enumerate(self.workspace.sources):
            ref = source.github
            if ref is None:
                continue
            if ref.org:
                repos, is_org = await self._org_repositories(ref.org, i)
                for repo in repos:
                    out.setdefault(repo["full_name"].lower(), (repo["full_name"], repo))
                if is_org and ref.org not in self.orgs:
                    self.orgs.append(ref.org)
            else:
                out.setdefault(ref.repo.lower(), (ref.repo, None))
        return list(out.values())

    async def _org_repositories(self, org: str, index: int) -> tuple[list[dict], bool]:
        """The repositories of an organisation (or of a user account of that name)."""
        repos: list[dict] = []
        url: str | None = self.client.url(f"/orgs/{quote(org)}/repos", {"type": "all", "per_page": self.client.options.per_page})
        first, is_org = True, True
        while url:
            r = await self.get(url)
            if first and r.status == 404:
                # Not an organisation: a user account's repositories.
                is_org = False
                r = await self.get(f"/users/{quote(org)}/repos", params={"type": "owner", "per_page": self.client.options.per_page})
            if not r.ok:
                raise GithubNotFoundError(
                    f"GitHub organisation '{org}' (workspace '{self.workspace.id}', sources[{index}].github.org) "
                    f"answered {r.status}{f' ({r.message})' if r.message else ''} at {self.client.display_url}: "
                    "check the organisation name, and that GITHUB_TOKEN can read it "
                    "(private organisations answer 404 to tokens without access)",
                    path=r.path,
                    status=r.status,
                )
            first = False
            repos.extend(x for x in r.data or [] if isinstance(x, dict) and x.get("full_name"))
            url = r.next_url
        self.log.info(f"{'organisation' if is_org else 'user account'} {org}: {len(repos)} repositories")
        return repos, is_org

    async def _repository(self, name: str, listed: dict | None) -> dict:
        """The repository object; raises when it does not exist or is not readable."""
        if listed is not None and not listed.get("fork"):
            return listed
        key = name.lower()
        url = self.client.url(f"/repos/{name}")
        etag = self.writer.stored_etag(key, "repo@etag", url)
        r = await self.get(url, etag=etag)
        if r.not_modified:
            row = self.con.execute(
                "select payload from raw.repositories where repository = ?", [key]
            ).fetchone()
            if row and row[0]:
                return json.loads(row[0])
            r = await self.get(url)
        if r.status in (403, 404, 410, 451) or not r.ok or not isinstance(r.data, dict):
            where = next(
                (
                    f"sources[{i}].github.repo"
                    for i, s in enumerate(self.workspace.sources)
                    if s.github and s.github.repo and s.github.repo.lower() == key
                ),
                "an organisation's repository list",
            )
            raise GithubNotFoundError(
                f"GitHub repository '{name}' (workspace '{self.workspace.id}', {where}) answered "
                f"{r.status}{f' ({r.message})' if r.message else ''} at {self.client.display_url}: check the "
                "owner/name spelling, and that GITHUB_TOKEN can read it (private repositories answer "
                "404 to tokens without access)",
                path=r.path,
                status=r.status,
            )
        if r.etag:
            self.writer.set_cursor(key, "repo@etag", url, r.etag)
        return r.data

    async def ingest_repository(self, name: str, listed: dict | None, position: str) -> None:
        started = time.monotonic()
        requests_before = self.client.stats.requests
        repo_json = await self._repository(name, listed)
        full = repo_json["full_name"]
        repo = full.lower()
        if repo != name.lower():
            self.log.info(f"{name} is now {full} (renamed or transferred)")
        self.report.repositories.append(repo)
        self.writer.add("repositories", R.repository_row(repo_json))
        self.writer.add("workspace_repositories", {"workspace_id": self.workspace.id, "repository": repo})
        owner = repo_json.get("owner") or {}
        if owner.get("type") == "Organization" and owner.get("login") and owner["login"] not in self.orgs:
            self.orgs.append(owner["login"])
        self.log.info(f"{position} {repo}: collecting (default branch {repo_json.get('default_branch')})")

        n_commits = await self._default_branch_commits(full, repo)
        n_prs = await self._pull_requests(full, repo)
        n_comments = await self._review_comments(full, repo)
        self.writer.flush()
        n_details = await self._commit_details(full, repo) if self.commit_details else 0
        self.writer.flush()
        n_contents = await self._manifest_contents(full, repo) if self.commit_details else 0
        self.writer.flush()
        self.log.info(
            f"{position} {repo}: done in {time.monotonic() - started:.1f} s, "
            f"{self.client.stats.requests - requests_before} requests: {n_commits} default-branch commits, "
            f"{n_prs} pull requests, {n_comments} review comments, {n_details} commit details, "
            f"{n_contents} manifest contents"
        )

    # -- default-branch commits ------------------------------------------------

    async def _default_branch_commits(self, full: str, repo: str) -> int:
        cur = self._cursor(repo, "commits")
        lower = self._lower(cur)
        first_url = self.client.url(
            f"/repos/{full}/commits", {"since": R.iso(lower), "per_page": self.client.options.per_page}
        )
        etag = self.writer.stored_etag(repo, "commits@etag", first_url) if cur else None
        url: str | None = first_url
        seen: datetime | None = None
        count = pages = 0
        first_etag = None
        while url:
            r = await self.get(url, etag=etag if url == first_url else None)
            if r.not_modified:
                self.log.info(f"{repo}: default-branch commits unchanged (304)")
                return 0
            if r.status == 409:  # "Git Repository is empty."
                break
            if not r.ok:
                self.gap("commits", repo, r)
                return count
            pages += 1
            if pages == 1:
                first_etag = r.etag
            items = [x for x in r.data or [] if isinstance(x, dict) and x.get("sha")]
            detailed = self._shas_with_stats(repo, [x["sha"] for x in items])
            for item in items:
                row = R.commit_row(repo, item, payload=None if item["sha"] in detailed else item)
                row["on_default_branch"] = True
                self.writer.add("commits", row)
                self._users_of_commit(item)
                if row["committed_at"] and (seen is None or row["committed_at"] > seen):
                    seen = row["committed_at"]
            count += len(items)
            self.writer.maybe_flush()
            if pages % 10 == 0:
                self.log.info(f"{repo}: default-branch commits page {pages} ({count} commits)")
            url = r.next_url
        self._advance(repo, "commits", cur, seen)
        if first_etag:
            self.writer.set_cursor(repo, "commits@etag", first_url, first_etag)
        return count

    def _shas_with_stats(self, repo: str, shas: list[str]) -> set[str]:
        if not shas:
            return set()
        rows = self.con.execute(
            "select sha from raw.commits where repository = ? and additions is not null "
            "and sha in (select unnest(?::varchar[]))",
            [repo, shas],
        ).fetchall()
        return {r[0] for r in rows}

    def _users_of_commit(self, item: dict) -> None:
        self.writer.add_embedded_user(R.embedded_user(item.get("author")))
        self.writer.add_embedded_user(R.embedded_user(item.get("committer")))

    # -- pull requests ---------------------------------------------------------

    async def _pull_requests(self, full: str, repo: str) -> int:
        cur = self._cursor(repo, "pulls")
        lower = self._lower(cur)
        first_url = self.client.url(
            f"/repos/{full}/pulls",
            {"state": "all", "sort": "updated", "direction": "desc", "per_page": self.client.options.per_page},
        )
        etag = self.writer.stored_etag(repo, "pulls@etag", first_url) if cur else None
        url: str | None = first_url
        done: set[int] = set()
        seen: datetime | None = None
        pages = 0
        first_etag = None
        unchanged = False
        while url:
            r = await self.get(url, etag=etag if url == first_url else None)
            if r.not_modified:
                unchanged = True
                self.log.info(f"{repo}: pull request list unchanged (304)")
                break
            if not r.ok:
                self.gap("pulls", repo, r)
                return len(done)
            pages += 1
            if pages == 1:
                first_etag = r.etag
            batch: list[dict] = []
            stop = False
            for item in r.data or []:
                if not isinstance(item, dict) or item.get("number") is None:
                    continue
                updated = R.ts(item.get("updated_at"))
                if updated is not None and updated < lower:
                    stop = True
                    break
                if item["number"] in done:
                    continue  # moved up between pages
                batch.append(item)
                if updated and (seen is None or updated > seen):
                    seen = updated
            await self._process_prs(full, repo, [(it["number"], it) for it in batch])
            done.update(it["number"] for it in batch)
            self.log.info(f"{repo}: pull requests page {pages}: {len(batch)} updated since {R.iso(lower)}")
            if stop:
                break
            url = r.next_url
        # PRs that were open at the last run: late reviews, comments and merges.
        still_open = [
            n
            for (n,) in self.con.execute(
                "select number from raw.pull_requests where repository = ? and state = 'open' order by number",
                [repo],
            ).fetchall()
            if n not in done
        ]
        if still_open:
            self.log.info(f"{repo}: re-reading {len(still_open)} pull requests open at the last run")
        for i in range(0, len(still_open), PR_BATCH):
            chunk = still_open[i : i + PR_BATCH]
            await self._process_prs(full, repo, [(n, None) for n in chunk])
            done.update(chunk)
        self._advance(repo, "pulls", cur, seen)
        if first_etag and not unchanged:
            self.writer.set_cursor(repo, "pulls@etag", first_url, first_etag)
        return len(done)

    async def _process_prs(self, full: str, repo: str, prs: list[tuple[int, dict | None]]) -> None:
        self.writer.prefetch(repo, [f"pr/{n}{kind}" for n, _ in prs for kind in ("", "/commits", "/files", "/reviews")])
        fetched = await _gather(self._fetch_pr(full, repo, n, item) for n, item in prs)
        shas = [c["sha"] for f in fetched for c in self._pr_commit_items(f)]
        detailed = self._shas_with_stats(repo, shas)
        for f in fetched:  # list order: deterministic rows whatever the completion order
            self._add_pr_rows(repo, f, detailed)
        self.writer.maybe_flush()

    @staticmethod
    def _pr_commit_items(f: _PrFetch) -> list[dict]:
        """The PR's listed commits, completed by compare when GitHub truncated the list."""
        if f.commits is None or not f.commits.ok:
            return []
        items = list(f.commits.items)
        if f.compare_commits is not None:
            listed = {c.get("sha") for c in items if isinstance(c, dict)}
            items += [c for c in f.compare_commits if c["sha"] not in listed]
        return [c for c in items if isinstance(c, dict) and c.get("sha")]

    async def _list(self, repo: str, entity: str, url: str) -> _Listed:
        """Every page of a small listing; conditional on a stored one-page ETag."""
        etag = self.writer.stored_etag(repo, entity, url)
        r = await self.get(url, etag=etag)
        if r.not_modified:
            return _Listed(304, r.path)
        if not r.ok:
            return _Listed(r.status, r.path, message=r.message)
        items = list(r.data) if isinstance(r.data, list) else []
        first_etag, pages = r.etag, 1
        while r.next_url:
            r = await self.get(r.next_url)
            if not r.ok:
                return _Listed(r.status, r.path, message=r.message)
            items.extend(r.data if isinstance(r.data, list) else [])
            pages += 1
        return _Listed(200, r.path, items, etag=(url, first_etag) if pages == 1 and first_etag else None)

    async def _fetch_pr(self, full: str, repo: str, number: int, list_item: dict | None) -> _PrFetch:
        f = _PrFetch(number, list_item)
        base = f"/repos/{full}/pulls/{number}"
        pp = {"per_page": self.client.options.per_page}
        single_url = self.client.url(base)

        async def single() -> None:
            f.single = await self.get(single_url, etag=self.writer.stored_etag(repo, f"pr/{number}", single_url))

        async def listing(kind: str) -> None:
            setattr(f, kind, await self._list(repo, f"pr/{number}/{kind}", self.client.url(f"{base}/{kind}", pp)))

        await _gather([single(), listing("commits"), listing("files"), listing("reviews")])

        # Over GitHub's 250-commit limit: complete the list with the compare API.
        if f.commits and f.commits.ok and len(f.commits.items) >= PR_COMMITS_LIMIT:
            if f.single and f.single.ok:
                pr = f.single.data
            elif f.single and f.single.not_modified:
                pr = self._stored_pr_payload(repo, number)  # the single GET it was written from
            else:
                pr = list_item
            total = pr.get("commits") if isinstance(pr, dict) else None
            if total is None or total > len(f.commits.items):
                await self._compare(full, repo, f, pr)
        return f

    def _stored_pr_payload(self, repo: str, number: int) -> dict | None:
        row = self.con.execute(
            "select payload from raw.pull_requests where repository = ? and number = ?", [repo, number]
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    async def _compare(self, full: str, repo: str, f: _PrFetch, pr: dict | None) -> None:
        base_sha = ((pr or {}).get("base") or {}).get("sha")
        head_sha = ((pr or {}).get("head") or {}).get("sha")
        if not base_sha or not head_sha:
            f.compare_gap = Gap("pull_commits_truncated", repo, f"/repos/{full}/pulls/{f.number}/commits", None,
                                "over 250 commits and no base/head SHA to compare")
            return
        url: str | None = self.client.url(
            f"/repos/{full}/compare/{base_sha}...{head_sha}", {"per_page": self.client.options.per_page}
        )
        commits: list = []
        while url:
            r = await self.get(url)
            if not r.ok or not isinstance(r.data, dict):
                f.compare_gap = Gap("pull_commits_truncated", repo, r.path, r.status,
                                    f"over {PR_COMMITS_LIMIT} commits; compare failed: {r.message}")
                return
            commits.extend(c for c in r.data.get("commits") or [] if isinstance(c, dict) and c.get("sha"))
            url = r.next_url
        f.compare_commits = commits

    def _add_pr_rows(self, repo: str, f: _PrFetch, detailed: set[str]) -> None:
        n = f.number
        # The pull request itself: the single GET when we have it, else the list item.
        if f.single is not None and f.single.ok and isinstance(f.single.data, dict):
            pr = f.single.data
            self.writer.add("pull_requests", R.pull_request_row(repo, pr, single=True))
            self._users_of_pr(pr)
            if f.single.etag:
                self.writer.set_cursor(repo, f"pr/{n}", f.single.url, f.single.etag)
        elif f.single is not None and f.single.not_modified:
            pass  # unchanged since the stored row was written from it
        else:
            if f.single is not None:
                self.gap("pull", repo, f.single)
            if f.list_item is not None:
                self.writer.add("pull_requests", R.pull_request_row(repo, f.list_item, single=False))
                self._users_of_pr(f.list_item)

        # Its commits (merge commits included), completed by compare when truncated.
        if f.commits is not None and f.commits.ok:
            for c in self._pr_commit_items(f):
                row = R.commit_row(repo, c, payload=None if c["sha"] in detailed else c)
                self.writer.add("commits", row)
                self.writer.add("pull_request_commits", {"repository": repo, "pr_number": n, "sha": c["sha"]})
                self._users_of_commit(c)
            if f.compare_gap is not None:
                self.report.gaps.append(f.compare_gap)
                self.log.warning(f"gap: PR {repo}#{n} has more than {PR_COMMITS_LIMIT} commits and "
                                 f"could not be completed ({f.compare_gap.message}); its commit list is truncated")
            if f.commits.etag:
                self.writer.set_cursor(repo, f"pr/{n}/commits", *f.commits.etag)
        elif f.commits is not None and not f.commits.not_modified:
            self.gap("pull_commits", repo, f.commits)

        if f.files is not None and f.files.ok:
            self.writer_rows("pull_request_files", R.pull_request_file_rows(repo, n, f.files.items))
            if len(f.files.items) >= PR_FILES_LIMIT:
                self.report.gaps.append(Gap("pull_files_truncated", repo, f.files.path, 200,
                                            f"GitHub lists at most {PR_FILES_LIMIT} files per PR"))
            if f.files.etag:
                self.writer.set_cursor(repo, f"pr/{n}/files", *f.files.etag)
        elif f.files is not None and not f.files.not_modified:
            self.gap("pull_files", repo, f.files)

        if f.reviews is not None and f.reviews.ok:
            for rv in f.reviews.items:
                if isinstance(rv, dict) and rv.get("id") is not None:
                    self.writer.add("reviews", R.review_row(repo, n, rv))
                    self.writer.add_embedded_user(R.embedded_user(rv.get("user")))
            if f.reviews.etag:
                self.writer.set_cursor(repo, f"pr/{n}/reviews", *f.reviews.etag)
        elif f.reviews is not None and not f.reviews.not_modified:
            self.gap("pull_reviews", repo, f.reviews)

    def writer_rows(self, table: str, rows: list[dict]) -> None:
        for row in rows:
            self.writer.add(table, row)

    def _users_of_pr(self, pr: dict) -> None:
        self.writer.add_embedded_user(R.embedded_user(pr.get("user")))
        self.writer.add_embedded_user(R.embedded_user(pr.get("merged_by")))

    # -- review comments -------------------------------------------------------

    async def _review_comments(self, full: str, repo: str) -> int:
        cur = self._cursor(repo, "review_comments")
        lower = self._lower(cur)
        first_url = self.client.url(
            f"/repos/{full}/pulls/comments",
            {"sort": "updated", "direction": "asc", "since": R.iso(lower), "per_page": self.client.options.per_page},
        )
        etag = self.writer.stored_etag(repo, "review_comments@etag", first_url) if cur else None
        url: str | None = first_url
        seen: datetime | None = None
        count = pages = 0
        first_etag = None
        while url:
            r = await self.get(url, etag=etag if url == first_url else None)
            if r.not_modified:
                self.log.info(f"{repo}: review comments unchanged (304)")
                return 0
            if not r.ok:
                self.gap("review_comments", repo, r)
                return count
            pages += 1
            if pages == 1:
                first_etag = r.etag
            for c in r.data or []:
                if not isinstance(c, dict) or c.get("id") is None:
                    continue
                row = R.review_comment_row(repo, c)
                if row is None:
                    self.log.warning(f"{repo}: review comment {c.get('id')} has no pull request URL; skipped")
                    continue
                self.writer.add("review_comments", row)
                self.writer.add_embedded_user(R.embedded_user(c.get("user")))
                upd = row["updated_at"] or row["created_at"]
                if upd and (seen is None or upd > seen):
                    seen = upd
                count += 1
            self.writer.maybe_flush()
            if pages % 10 == 0:
                self.log.info(f"{repo}: review comments page {pages} ({count} comments)")
            url = r.next_url
        self._advance(repo, "review_comments", cur, seen)
        if first_etag:
            self.writer.set_cursor(repo, "review_comments@etag", first_url, first_etag)
        return count

    # -- commit details --------------------------------------------------------

    async def _commit_details(self, full: str, repo: str) -> int:
        """Stats and files for every commit of ``repo`` without stats.

        The backlog is read from the warehouse in SHA order, one batch at a
        time, so a re-run after a crash finds exactly what is left and memory
        stays bounded whatever the repository's size.
        """
        pending = self.con.execute(
            """select count(*) from raw.commits c
               where c.repository = ? and c.additions is null
                 and not exists (select 1 from raw.ingest_cursors k
                                 where k.source = 'github' and k.repository = c.repository
                                   and k.entity = 'commit/' || c.sha)""",
            [repo],
        ).fetchone()[0]
        if not pending:
            return 0
        self.log.info(f"{repo}: fetching {pending} commit details (stats and files)")
        done = seen = 0
        after = ""
        while True:
            chunk = [
                s
                for (s,) in self.con.execute(
                    """select c.sha from raw.commits c
                       where c.repository = ? and c.additions is null and c.sha > ?
                         and not exists (select 1 from raw.ingest_cursors k
                                         where k.source = 'github' and k.repository = c.repository
                                           and k.entity = 'commit/' || c.sha)
                       order by c.sha limit ?""",
                    [repo, after, DETAIL_BATCH],
                ).fetchall()
            ]
            if not chunk:
                break
            after = chunk[-1]
            results = await _gather(self._fetch_commit(full, sha) for sha in chunk)
            for sha, (resp, files) in zip(chunk, results):
                if resp.ok and isinstance(resp.data, dict):
                    detail = resp.data
                    if files is not None:
                        detail = dict(detail, files=files)
                    row = R.commit_row(repo, detail, payload=R.commit_detail_payload(detail))
                    self.writer.add("commits", row)
                    self.writer_rows("commit_files", R.commit_file_rows(repo, sha, detail.get("files") or []))
                    self._users_of_commit(detail)
                    done += 1
                else:
                    self.gap("commit_detail", repo, resp)
                    self.writer.set_cursor(repo, f"commit/{sha}", str(resp.status))
            # Flush when the writer's buffer is full, not after every batch:
            # the next batch starts after ``after``, not from what is flushed,
            # and a crash only loses details that the backlog query of the
            # next run finds again (their ``additions`` are still NULL).
            self.writer.maybe_flush()
            seen += len(chunk)
            if pending > DETAIL_BATCH:
                self.log.info(f"{repo}: commit details {seen}/{pending}")
        return done

    async def _fetch_commit(self, full: str, sha: str) -> tuple[Response, list | None]:
        r = await self.get(f"/repos/{full}/commits/{sha}")
        if not r.ok or not r.next_url or not isinstance(r.data, dict):
            return r, None
        # Over 300 files: the rest of the files come in further pages.
        files = list(r.data.get("files") or [])
        url: str | None = r.next_url
        while url:
            p = await self.get(url)
            if not p.ok or not isinstance(p.data, dict):
                break
            files.extend(p.data.get("files") or [])
            url = p.next_url
        return r, files

    # -- dependency manifests --------------------------------------------------

    # The manifests a commit touched: its files, and the old path of a file it
    # renamed away (as removed: that manifest ends there), unless the commit
    # also wrote a file at that path.
    _TOUCHED_PATHS = """
        (select repository, sha, path, status from raw.commit_files
         union all
         select o.repository, o.sha, o.previous_path, 'removed' from raw.commit_files o
         where o.status = 'renamed' and o.previous_path is not null
           and not exists (select 1 from raw.commit_files n
                           where n.repository = o.repository and n.sha = o.sha and n.path = o.previous_path))
    """
    _CONTENTS_BACKLOG = f"""
        from {_TOUCHED_PATHS} f
        join raw.commits c on c.repository = f.repository and c.sha = f.sha
        where f.repository = ? and regexp_matches(f.path, ?)
          and not exists (select 1 from raw.file_contents x
                          where x.repository = f.repository and x.path = f.path and x.sha = f.sha)
          and not exists (select 1 from raw.ingest_cursors k
                          where k.source = 'github' and k.repository = f.repository
                            and k.entity = 'contents/' || f.sha || '/' || f.path)
    """

    async def _manifest_contents(self, full: str, repo: str) -> int:
        """``raw.file_contents`` for every manifest a commit changed, as of that commit.

        The backlog (commit files whose name passes the SQL prefilter and
        :func:`manifest_ecosystem`, without a content row or a gap cursor) is
        read in (sha, path) order one batch at a time, as the commit details
        are. A removed file (or the old path of a renamed one) gets a NULL row
        and no request; a file GitHub does
        not give (404...) a gap and a ``contents/{sha}/{path}`` cursor, so it
        is not asked for again.
        """
        pending = sum(
            n
            for path, n in self.con.execute(
                f"select f.path, count(*) {self._CONTENTS_BACKLOG} group by f.path", [repo, MANIFEST_PREFILTER]
            ).fetchall()
            if manifest_ecosystem(path) is not None
        )
        if not pending:
            return 0
        self.log.info(f"{repo}: fetching {pending} dependency manifest contents")
        done = seen = 0
        after = ("", "")
        while True:
            chunk = self.con.execute(
                f"""select f.sha, f.path, f.status, coalesce(c.committed_at, c.authored_at), c.on_default_branch
                    {self._CONTENTS_BACKLOG}
                      and (f.sha > ? or (f.sha = ? and f.path > ?))
                    order by f.sha, f.path limit ?""",
                [repo, MANIFEST_PREFILTER, after[0], after[0], after[1], DETAIL_BATCH],
            ).fetchall()
            if not chunk:
                break
            after = (chunk[-1][0], chunk[-1][1])
            wanted = [r for r in chunk if manifest_ecosystem(r[1]) is not None]
            fetch = [r for r in wanted if r[2] != "removed"]
            results = dict(
                zip(
                    [(r[0], r[1]) for r in fetch],
                    await _gather(
                        self.get(f"/repos/{full}/contents/{quote(path)}", params={"ref": sha})
                        for sha, path, *_ in fetch
                    ),
                )
            )
            for sha, path, status, committed_at, on_default_branch in wanted:
                if status == "removed":
                    content = None
                else:
                    resp = results[(sha, path)]
                    if not resp.ok:
                        self.gap("contents", repo, resp)
                        self.writer.set_cursor(repo, f"contents/{sha}/{path}", str(resp.status))
                        continue
                    content = self._manifest_text(repo, sha, path, resp.data)
                self.writer.add(
                    "file_contents", R.file_content_row(repo, path, sha, committed_at, on_default_branch, content)
                )
                done += 1
            self.writer.maybe_flush()
            seen += len(wanted)
            if pending > DETAIL_BATCH:
                self.log.info(f"{repo}: manifest contents {seen}/{pending}")
        return done

    def _manifest_text(self, repo: str, sha: str, path: str, data: Any) -> str | None:
        """The text of a contents-API answer, or None (with a warning) when there is none."""
        where = f"{repo}: {path} at {sha[:12]}"
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            kind = "a directory" if isinstance(data, list) else f"a {data.get('type')}" if isinstance(data, dict) else "not a file"
            self.log.warning(f"{where} is {kind}; its content is stored as NULL")
            return None
        encoding = data.get("encoding")
        if encoding == "base64":
            try:
                raw = base64.b64decode(data.get("content") or "")
            except (binascii.Error, ValueError) as e:
                self.log.warning(f"{where}: undecodable base64 content ({e}); stored as NULL")
                return None
            text, why = decode_manifest(raw)
            if text is None:
                self.log.warning(f"{where}: {why}; its content is stored as NULL")
            return text
        if encoding == "none":
            self.log.warning(
                f"{where} is too large for the contents API ({data.get('size')} bytes, over 1 MB); "
                "its content is stored as NULL"
            )
            return None
        self.log.warning(f"{where}: unexpected content encoding {encoding!r}; its content is stored as NULL")
        return None

    # -- teams and users -------------------------------------------------------

    async def teams(self) -> None:
        for org in self.orgs:
            teams_url: str | None = self.client.url(f"/orgs/{quote(org)}/teams", {"per_page": self.client.options.per_page})
            teams: list[dict] = []
            while teams_url:
                r = await self.get(teams_url)
                if not r.ok:
                    self.gap("teams", None, r, f"{r.message or 'no access'}; reading teams needs a token with read:org")
                    teams = []
                    break
                teams.extend(t for t in r.data or [] if isinstance(t, dict) and t.get("slug"))
                teams_url = r.next_url
            members = await _gather(
                self._list("", f"team/{org}/{t['slug']}",
                           self.client.url(f"/orgs/{quote(org)}/teams/{t['slug']}/members",
                                           {"per_page": self.client.options.per_page}))
                for t in teams
            )
            for team, listed in zip(teams, members):
                if not listed.ok:
                    self.gap("team_members", None, listed)
                    continue
                for m in listed.items:
                    if isinstance(m, dict) and m.get("login"):
                        self.writer.add(
                            "team_members",
                            {"workspace_id": self.workspace.id, "team_id": team["slug"], "login": m["login"]},
                        )
                        self.writer.add_embedded_user(R.embedded_user(m))
            self.log.info(f"organisation {org}: {len(teams)} teams")
        self.writer.flush()

    async def users(self) -> None:
        """``/users/{login}`` for accounts known only from embedded objects."""
        self.writer.flush()
        pending = self.con.execute(
            """
            select u.user_id, u.login from raw.users u
            where u.payload is not null and json_extract(u.payload, '$.created_at') is null
              and not exists (select 1 from raw.ingest_cursors k
                              where k.source = 'github' and k.repository = ''
                                and k.entity = 'user/' || u.user_id)
            order by u.user_id
            """
        ).fetchall()
        if not pending:
            return
        self.log.info(f"reading {len(pending)} new GitHub accounts (/users)")
        for i in range(0, len(pending), DETAIL_BATCH):
            chunk = pending[i : i + DETAIL_BATCH]
            results = await _gather(self.get(f"/users/{quote(login, safe='')}") for _, login in chunk)
            for (user_id, login), r in zip(chunk, results):
                if r.ok and isinstance(r.data, dict) and r.data.get("id") == user_id:
                    self.writer.add("users", R.full_user(r.data))
                elif r.ok:
                    self.log.warning(f"/users/{login} is now another account (id {r.data.get('id')} != {user_id}); "
                                     "kept the embedded record")
                    self.writer.set_cursor("", f"user/{user_id}", "renamed")
                else:
                    self.gap("user", None, r)
                    self.writer.set_cursor("", f"user/{user_id}", str(r.status))
            self.writer.flush()


# -- entry point ------------------------------------------------------------------


def ingest_github(
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    settings: GithubSettings,
    *,
    since: datetime | date,
    run_id: str,
    log: LogTarget | None = None,
    token: str | None = None,
    api_url: str | None = None,
    commit_details: bool = True,
    options: ClientOptions | None = None,
) -> IngestReport:
    """Ingest every GitHub repository of ``workspace`` into ``raw``.

    ``since`` is where collection starts when there is no cursor (the
    calendar start). ``token`` defaults to ``GITHUB_TOKEN`` (pass ``""`` for
    none); ``api_url`` to ``GITHUB_API_URL``, then ``settings.api_url``.
    Raises :class:`GithubSourceError` subclasses for what the user must fix;
    the partial report is attached to the exception as ``.report``.
    """
    token = resolve_token(token)
    url = resolve_api_url(settings, api_url)
    logger = _Log(log, token)
    report = IngestReport(run_id=run_id, workspace_id=workspace.id, api_url=display_url(url))
    ensure_raw_schema(con)
    started = time.monotonic()

    async def main() -> None:
        async with GithubClient(url, token, concurrency=settings.concurrency, options=options, log=logger) as client:
            job = _GithubIngest(
                con, workspace, settings, since=_utc_naive(since), run_id=run_id, log=logger,
                client=client, report=report, commit_details=commit_details,
            )
            try:
                repos = await job.resolve_repositories()
                logger.info(
                    f"workspace {workspace.id}: {len(repos)} GitHub repositories from {display_url(url)} "
                    f"(since {R.iso(job.since)}, overlap {settings.overlap_days} days, "
                    f"concurrency {settings.concurrency}, {'with' if token else 'without'} a token)"
                )
                total = len(repos)
                await _bounded(
                    (
                        (lambda name=name, listed=listed, i=i: job.ingest_repository(name, listed, f"[{i}/{total}]"))
                        for i, (name, listed) in enumerate(repos, 1)
                    ),
                    min(settings.concurrency, max(1, total)),
                )
                if workspace.teams_from_github:
                    await job.teams()
                await job.users()
                job.writer.flush()
                report.completed = True
            finally:
                report.repositories.sort()
                s = client.stats
                report.requests = s.requests
                report.not_modified = s.not_modified
                report.retries = s.retries
                report.rate_limit_waits = s.rate_limit_waits
                report.rate_limit_wait_seconds = s.rate_limit_wait_seconds
                report.duration_seconds = time.monotonic() - started

    try:
        run_sync(main)
    except BaseException as e:
        try:
            e.report = report  # type: ignore[attr-defined]
        except Exception:
            pass
        raise
    logger.info(
        f"workspace {workspace.id}: GitHub ingest done in {report.duration_seconds:.1f} s: "
        f"{report.requests} requests ({report.not_modified} not modified, {report.retries} retries, "
        f"{report.rate_limit_waits} rate-limit waits), {len(report.gaps)} gaps, "
        f"rows inserted {report.rows_inserted()}, updated {report.rows_updated()}"
    )
    return report
