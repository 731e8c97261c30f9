#!/usr/bin/env python
"""A lean, generator-backed GitHub REST server for the ingest benchmark.

Loopback only (127.0.0.1). Nothing is stored: every answer is computed from
the request (repository index, item index) with integer arithmetic, so a
500,000-commit organisation costs no memory and the server's footprint stays
flat. Shapes follow GitHub's REST responses (commit list items and details
with full user objects, PRs, PR commits/files/reviews, review comments,
repositories, teams and members, users), with realistic sizes: a commit list
item is ~3 KB of JSON, a detail ~4 KB.

Semantics the DevLens client relies on:

- ``Link`` headers with GitHub's ``/repositories/{id}/...`` URLs and an
  opaque cursor, so only a client that follows them verbatim gets page 2;
- ``/commits?since=`` (committer date, newest first), ``/pulls?state=all&
  sort=updated&direction=desc``, ``/pulls/comments?sort=updated&
  direction=asc&since=``;
- a weak ``ETag`` on every 200 and ``304`` for a matching ``If-None-Match``;
- ``x-ratelimit-*`` headers that never run out; ``/rate_limit``.

The organisation (``--repos``, ``--commits`` spread evenly, ``--days`` of
history from ``--start``): per repository, PRs = ``pr_ratio`` x commits
(default 0.2, the demo generator's ratio), each PR 1-4 of the repository's
commits, 0-4 files, 0-4 reviews (~2.25 per PR with the defaults below) and
0-2 review comments; 85% merged, 8% closed, 7% open. Authors are drawn from
``--developers`` accounts; every 40th commit is by ``dependabot[bot]``, every
97th has no linked account.

    python bench/github_sim.py --repos 200 --commits 500000
    # prints "LISTENING http://127.0.0.1:<port>"; GET /_bench/stats for counters
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import signal
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

DAY = 86_400
HOUR = 3_600
ORG = "bench-org"
BOT_ID = 49699333
USER_BASE_ID = 5_000_000
REPO_BASE_ID = 700_000_000
PAGE_MAX = 100


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_iso(s: str) -> int:
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def mix(*xs: int) -> int:
    """A cheap deterministic 32-bit hash of a few integers."""
    h = 2166136261
    for x in xs:
        h = ((h ^ (x & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
        h ^= h >> 13
    return (h * 0x5BD1E995) & 0xFFFFFFFF


@dataclass(frozen=True)
class Org:
    repos: int
    commits: int
    developers: int
    start: int  # epoch seconds
    days: int
    pr_ratio: float
    base: str  # the server's own URL, used in bodies and Link headers

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    def n_commits(self, r: int) -> int:
        q, rem = divmod(self.commits, self.repos)
        return q + (1 if r < rem else 0)

    def n_prs(self, r: int) -> int:
        return int(self.n_commits(r) * self.pr_ratio)

    def name(self, r: int) -> str:
        return f"repo-{r:04d}"

    def full(self, r: int) -> str:
        return f"{ORG}/{self.name(r)}"

    def repo_id(self, r: int) -> int:
        return REPO_BASE_ID + r

    # -- commits: index 0 is the oldest -----------------------------------------------
    def commit_time(self, r: int, i: int) -> int:
        n = self.n_commits(r)
        return self.start + int((i + 0.5) * (self.end - self.start) / n)

    def first_commit_since(self, r: int, since: int) -> int:
        """Smallest i with commit_time(r, i) >= since."""
        n = self.n_commits(r)
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.commit_time(r, mid) >= since:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def sha(self, r: int, i: int) -> str:
        head = f"{r:06x}{i:08x}"
        return head + hashlib.sha1(head.encode()).hexdigest()[:26]

    @staticmethod
    def unsha(sha: str) -> tuple[int, int] | None:
        try:
            return int(sha[:6], 16), int(sha[6:14], 16)
        except ValueError:
            return None

    # -- pull requests: number j + 1, j = 0 oldest ------------------------------------------
    def pr_first_commit(self, r: int, j: int) -> int:
        return j * self.n_commits(r) // max(1, self.n_prs(r))

    def pr_commits(self, r: int, j: int) -> list[int]:
        c0 = self.pr_first_commit(r, j)
        k = 1 + mix(r, j, 1) % 4
        return list(range(c0, min(c0 + k, self.n_commits(r))))

    def pr_times(self, r: int, j: int) -> dict:
        t0 = self.commit_time(r, self.pr_first_commit(r, j))
        outcome = mix(r, j, 2) % 100
        created = t0 - HOUR
        updated = t0 + 6 * HOUR
        merged = closed = None
        if outcome < 85:
            merged = closed = t0 + 5 * HOUR
        elif outcome < 93:
            closed = t0 + 5 * HOUR
        return {"created": created, "updated": updated, "merged": merged, "closed": closed}

    def first_pr_updated_since(self, r: int, since: int) -> int:
        lo, hi = 0, self.n_prs(r)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.pr_times(r, mid)["updated"] >= since:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def n_comments(self, r: int, j: int) -> int:
        return mix(r, j, 3) % 3

    def n_reviews(self, r: int, j: int) -> int:
        h = mix(r, j, 4) % 8
        return (0, 1, 2, 2, 2, 3, 4, 4)[h]  # mean 2.25

    def author(self, r: int, i: int) -> int | None:
        """Developer index, -1 for dependabot, None for no linked account."""
        h = mix(r, i, 5)
        if i % 40 == 39:
            return -1
        if i % 97 == 96:
            return None
        team = max(1, min(self.developers, 12))
        return (r * 7 + h % team) % self.developers


class Bodies:
    """JSON-able bodies in GitHub's shapes."""

    def __init__(self, org: Org):
        self.o = org
        self.api = org.base
        self._users: dict[int, dict] = {}

    # -- users ------------------------------------------------------------------------
    def user(self, k: int | None) -> dict | None:
        if k is None:
            return None
        u = self._users.get(k)
        if u is None:
            login = "dependabot[bot]" if k == -1 else f"dev-{k:05d}"
            uid = BOT_ID if k == -1 else USER_BASE_ID + k
            a = f"{self.api}/users/{quote(login)}"
            u = {
                "login": login, "id": uid, "node_id": f"MDQ6VXNlcj{uid}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4", "gravatar_id": "",
                "url": a, "html_url": f"https://github.com/{login}", "followers_url": f"{a}/followers",
                "following_url": f"{a}/following{{/other_user}}", "gists_url": f"{a}/gists{{/gist_id}}",
                "starred_url": f"{a}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{a}/subscriptions",
                "organizations_url": f"{a}/orgs", "repos_url": f"{a}/repos", "events_url": f"{a}/events{{/privacy}}",
                "received_events_url": f"{a}/received_events", "type": "Bot" if k == -1 else "User",
                "user_view_type": "public", "site_admin": False,
            }
            self._users[k] = u
        return u

    def full_user(self, k: int) -> dict:
        u = dict(self.user(k))
        u.update(name=None if k == -1 else f"Developer {k}", company=None, blog="", location=None,
                 email=None, hireable=None, bio=None, twitter_username=None, public_repos=3, public_gists=0,
                 followers=1, following=1, created_at="2015-01-01T00:00:00Z", updated_at="2024-01-01T00:00:00Z")
        return u

    def login_index(self, login: str) -> int | None:
        if login == "dependabot[bot]":
            return -1
        if login.startswith("dev-"):
            try:
                k = int(login[4:])
            except ValueError:
                return None
            return k if 0 <= k < self.o.developers else None
        return None

    # -- repositories -------------------------------------------------------------------
    def repo(self, r: int) -> dict:
        o, full, rid = self.o, self.o.full(r), self.o.repo_id(r)
        a = f"{self.api}/repos/{full}"
        owner = {"login": ORG, "id": 9_000_001, "node_id": "MDEyOk9yZ2FuaXphdGlvbjk=",
                 "avatar_url": "https://avatars.githubusercontent.com/u/9000001?v=4", "gravatar_id": "",
                 "url": f"{self.api}/users/{ORG}", "html_url": f"https://github.com/{ORG}",
                 "type": "Organization", "site_admin": False}
        return {
            "id": rid, "node_id": f"MDEwOlJlcG9zaXRvcnk{rid}", "name": o.name(r), "full_name": full,
            "private": False, "owner": owner, "html_url": f"https://github.com/{full}", "description": None,
            "fork": False, "url": a, "commits_url": f"{a}/commits{{/sha}}", "pulls_url": f"{a}/pulls{{/number}}",
            "created_at": "2020-01-01T00:00:00Z", "updated_at": iso(o.end), "pushed_at": iso(o.end),
            "size": 1000 + r, "stargazers_count": r % 50, "watchers_count": r % 50, "language": "Python",
            "forks_count": 0, "archived": False, "disabled": False, "open_issues_count": 3,
            "default_branch": "main", "visibility": "public",
        }

    # -- commits --------------------------------------------------------------------------
    def commit_item(self, r: int, i: int) -> dict:
        o = self.o
        full = o.full(r)
        sha = o.sha(r, i)
        t = o.commit_time(r, i)
        k = o.author(r, i)
        u = self.user(k)
        name = "dependabot[bot]" if k == -1 else (f"Developer {k}" if k is not None else f"Someone {mix(r, i) % 500}")
        email = (f"{u['login']}@users.noreply.github.com" if u else f"someone{mix(r, i) % 500}@example.org")
        a = f"{self.api}/repos/{full}"
        parents = [o.sha(r, i - 1)] if i > 0 else []
        if i % 20 == 19 and i > 1:
            parents.append(o.sha(r, i - 2))  # a merge commit
        msg = (f"fix: handle case {mix(r, i, 6) % 1000} in module {mix(r, i, 7) % 50}\n\n"
               f"Longer description of the change number {i} in {full}.")
        tree = hashlib.sha1(sha.encode()).hexdigest()
        return {
            "sha": sha,
            "node_id": f"C_kwDO{r:06d}{i:010d}",
            "commit": {
                "author": {"name": name, "email": email, "date": iso(t - 600)},
                "committer": {"name": "GitHub" if i % 5 == 0 else name,
                              "email": "noreply@github.com" if i % 5 == 0 else email, "date": iso(t)},
                "message": msg,
                "tree": {"sha": tree, "url": f"{a}/git/trees/{tree}"},
                "url": f"{a}/git/commits/{sha}",
                "comment_count": 0,
                "verification": {"verified": i % 5 == 0, "reason": "valid" if i % 5 == 0 else "unsigned",
                                 "signature": None, "payload": None, "verified_at": None},
            },
            "url": f"{a}/commits/{sha}",
            "html_url": f"https://github.com/{full}/commit/{sha}",
            "comments_url": f"{a}/commits/{sha}/comments",
            "author": u,
            "committer": u if i % 5 else None,
            "parents": [{"sha": p, "url": f"{a}/commits/{p}", "html_url": f"https://github.com/{full}/commit/{p}"}
                        for p in parents],
        }

    def files(self, seed: tuple[int, ...], count: int, full: str, ref: str) -> list[dict]:
        out = []
        for f in range(count):
            h = mix(*seed, f)
            path = f"src/mod{h % 50}/file{(h >> 8) % 200}.py"
            add, dele = 1 + h % 40, (h >> 6) % 20
            blob = hashlib.sha1(f"{ref}{path}".encode()).hexdigest()
            out.append({
                "sha": blob, "filename": path, "status": "modified" if h % 7 else "added",
                "additions": add, "deletions": dele, "changes": add + dele,
                "blob_url": f"https://github.com/{full}/blob/{ref}/{path}",
                "raw_url": f"https://github.com/{full}/raw/{ref}/{path}",
                "contents_url": f"{self.api}/repos/{full}/contents/{path}?ref={ref}",
                "patch": "@@ -1,3 +1,4 @@\n-old line\n+new line\n+another line\n context",
            })
        return out

    def commit_detail(self, r: int, i: int) -> dict:
        d = self.commit_item(r, i)
        files = self.files((r, i, 8), 1 + mix(r, i, 9) % 4, self.o.full(r), d["sha"])
        add = sum(f["additions"] for f in files)
        dele = sum(f["deletions"] for f in files)
        d["stats"] = {"total": add + dele, "additions": add, "deletions": dele}
        d["files"] = files
        return d

    # -- pull requests ----------------------------------------------------------------------
    def pr_item(self, r: int, j: int, single: bool = False) -> dict:
        o = self.o
        full, n = o.full(r), j + 1
        t = o.pr_times(r, j)
        commits = o.pr_commits(r, j)
        author = o.author(r, commits[0])
        u = self.user(author)
        a = f"{self.api}/repos/{full}"
        head_sha, base_sha = o.sha(r, commits[-1]), o.sha(r, max(0, commits[0] - 1))
        repo = self.repo(r)
        state = "open" if t["closed"] is None else "closed"
        pr = {
            "url": f"{a}/pulls/{n}", "id": 2_000_000_000 + r * 100_000 + n, "node_id": f"PR_kwDO{r:06d}{n:08d}",
            "html_url": f"https://github.com/{full}/pull/{n}", "diff_url": f"https://github.com/{full}/pull/{n}.diff",
            "patch_url": f"https://github.com/{full}/pull/{n}.patch", "issue_url": f"{a}/issues/{n}",
            "number": n, "state": state, "locked": False,
            "title": f"feat: change {mix(r, j, 10) % 1000} in module {mix(r, j, 11) % 50}",
            "user": u, "body": f"This pull request changes things ({n}).\n\nCloses #{max(1, n - 3)}.",
            "created_at": iso(t["created"]), "updated_at": iso(t["updated"]),
            "closed_at": iso(t["closed"]) if t["closed"] else None,
            "merged_at": iso(t["merged"]) if t["merged"] else None,
            "merge_commit_sha": o.sha(r, commits[-1]) if t["merged"] else None,
            "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
            "labels": [{"id": 1000 + j % 3, "node_id": "LA_x", "url": f"{a}/labels/bug", "name": ("bug", "enhancement", "chore")[j % 3],
                        "color": "d73a4a", "default": True, "description": None}] if j % 2 else [],
            "milestone": None, "draft": state == "open" and j % 3 == 0,
            "commits_url": f"{a}/pulls/{n}/commits", "review_comments_url": f"{a}/pulls/{n}/comments",
            "review_comment_url": f"{a}/pulls/comments{{/number}}", "comments_url": f"{a}/issues/{n}/comments",
            "statuses_url": f"{a}/statuses/{head_sha}",
            "head": {"label": f"{ORG}:feature-{n}", "ref": f"feature-{n}", "sha": head_sha, "user": repo["owner"],
                     "repo": repo},
            "base": {"label": f"{ORG}:main", "ref": "main", "sha": base_sha, "user": repo["owner"], "repo": repo},
            "author_association": "MEMBER", "auto_merge": None, "active_lock_reason": None,
        }
        if single:
            files = self.pr_files(r, j)
            pr.update(
                merged=t["merged"] is not None, mergeable=None, rebaseable=None, mergeable_state="unknown",
                merged_by=self.user(((author if author not in (None, -1) else 0) + 1) % o.developers)
                if t["merged"] else None,
                comments=0, review_comments=o.n_comments(r, j), maintainer_can_modify=False,
                commits=len(commits), additions=sum(f["additions"] for f in files),
                deletions=sum(f["deletions"] for f in files), changed_files=len(files),
            )
        return pr

    def pr_files(self, r: int, j: int) -> list[dict]:
        count = mix(r, j, 12) % 5
        return self.files((r, j, 13), count, self.o.full(r), self.o.sha(r, self.o.pr_commits(r, j)[-1]))

    def reviews(self, r: int, j: int) -> list[dict]:
        o = self.o
        full, n = o.full(r), j + 1
        t = o.pr_times(r, j)
        author = o.author(r, o.pr_commits(r, j)[0])
        out = []
        for k in range(o.n_reviews(r, j)):
            who = ((author if author not in (None, -1) else 0) + 1 + k) % o.developers
            state = ("APPROVED", "COMMENTED", "CHANGES_REQUESTED", "APPROVED")[mix(r, j, k, 14) % 4]
            rid = 3_000_000_000 + (r * 1_000_000 + j) * 8 + k
            out.append({
                "id": rid, "node_id": f"PRR_kwDO{rid}", "user": self.user(who),
                "body": "" if state == "APPROVED" else "Some notes inline.", "state": state,
                "html_url": f"https://github.com/{full}/pull/{n}#pullrequestreview-{rid}",
                "pull_request_url": f"{self.api}/repos/{full}/pulls/{n}",
                "author_association": "MEMBER",
                "_links": {"html": {"href": f"https://github.com/{full}/pull/{n}#pullrequestreview-{rid}"},
                           "pull_request": {"href": f"{self.api}/repos/{full}/pulls/{n}"}},
                "submitted_at": iso(t["created"] + (k + 1) * 1200), "commit_id": o.sha(r, o.pr_commits(r, j)[-1]),
            })
        return out

    def comment(self, r: int, j: int, m: int) -> dict:
        o = self.o
        full, n = o.full(r), j + 1
        t = o.pr_times(r, j)
        cid = 4_000_000_000 + (r * 1_000_000 + j) * 4 + m
        author = o.author(r, o.pr_commits(r, j)[0])
        who = ((author if author not in (None, -1) else 0) + 2 + m) % o.developers
        files = self.pr_files(r, j)
        path = files[m % len(files)]["filename"] if files else "README.md"
        reviews = o.n_reviews(r, j)
        at = iso(t["created"] + 2 * HOUR + m * 10)
        return {
            "url": f"{self.api}/repos/{full}/pulls/comments/{cid}",
            "pull_request_review_id": 3_000_000_000 + (r * 1_000_000 + j) * 8 if reviews else None,
            "id": cid, "node_id": f"PRRC_kwDO{cid}", "diff_hunk": "@@ -1,3 +1,4 @@\n-old line\n+new line",
            "path": path, "commit_id": o.sha(r, o.pr_commits(r, j)[-1]),
            "original_commit_id": o.sha(r, o.pr_commits(r, j)[0]), "user": self.user(who),
            "body": "Could we add a test for this?", "created_at": at, "updated_at": at,
            "html_url": f"https://github.com/{full}/pull/{n}#discussion_r{cid}",
            "pull_request_url": f"{self.api}/repos/{full}/pulls/{n}", "author_association": "MEMBER",
            "line": 2, "original_line": 2, "side": "RIGHT", "in_reply_to_id": None,
        }


class NotFound(Exception):
    pass


class App:
    def __init__(self, org: Org):
        self.o = org
        self.b = Bodies(org)
        self.requests = 0
        self.not_modified = 0
        self.by_kind: dict[str, int] = {}
        self.bytes = 0
        self.started = time.time()
        self.teams = ("platform", "payments", "mobile", "data")

    # -- routing ------------------------------------------------------------------------
    def handle(self, target: str, inm: str | None) -> tuple[int, dict, bytes]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        q = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.requests += 1
        if path == "/_bench/stats":
            ru = resource.getrusage(resource.RUSAGE_SELF)
            body = {"requests": self.requests - 1, "not_modified": self.not_modified, "by_kind": self.by_kind,
                    "bytes": self.bytes, "cpu_seconds": ru.ru_utime + ru.ru_stime,
                    "max_rss_mb": ru.ru_maxrss / 1024, "uptime_seconds": time.time() - self.started}
            return 200, {}, json.dumps(body).encode()
        try:
            kind, body, links = self.route(path, q)
        except NotFound:
            return 404, {}, b'{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}'
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        etag = 'W/"' + hashlib.sha1(target.encode()).hexdigest() + '"'
        if inm and inm == etag:
            self.not_modified += 1
            return 304, {"etag": etag}, b""
        data = json.dumps(body, separators=(",", ":")).encode()
        self.bytes += len(data)
        headers = {"etag": etag}
        if links:
            headers["link"] = ", ".join(f'<{u}>; rel="{rel}"' for rel, u in links.items())
        return 200, headers, data

    def _repo_index(self, owner_name: str) -> int:
        owner, _, name = owner_name.partition("/")
        if owner.lower() != ORG or not name.startswith("repo-"):
            raise NotFound
        try:
            r = int(name[5:])
        except ValueError:
            raise NotFound from None
        if not 0 <= r < self.o.repos:
            raise NotFound
        return r

    def route(self, path: str, q: dict) -> tuple[str, object, dict]:
        seg = path.strip("/").split("/")
        if seg[0] == "rate_limit":
            reset = int(time.time()) + 3600
            core = {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset}
            return "rate_limit", {"resources": {"core": core}, "rate": core}, {}
        if seg[0] == "users" and len(seg) == 2:
            k = self.b.login_index(seg[1])
            if k is None:
                raise NotFound
            return "user", self.b.full_user(k), {}
        if seg[0] == "orgs" and len(seg) >= 3 and seg[1] == ORG:
            return self.route_org(seg[2:], q)
        if seg[0] == "repositories" and len(seg) >= 2:
            try:
                r = int(seg[1]) - REPO_BASE_ID
            except ValueError:
                raise NotFound from None
            if not 0 <= r < self.o.repos:
                raise NotFound
            return self.route_repo(r, seg[2:], q)
        if seg[0] == "repos" and len(seg) >= 3:
            return self.route_repo(self._repo_index(f"{seg[1]}/{seg[2]}"), seg[3:], q)
        raise NotFound

    def _page(self, q: dict) -> tuple[int, int]:
        per = max(1, min(PAGE_MAX, int(q.get("per_page", "30"))))
        return per, int(q.get("cursor", "0"))

    def _next(self, path: str, q: dict, cursor: int) -> dict:
        nq = {k: v for k, v in q.items() if k != "cursor"}
        nq["cursor"] = str(cursor)
        return {"next": f"{self.o.base}{path}?{urlencode(nq)}"}

    def route_org(self, seg: list[str], q: dict):
        per, cur = self._page(q)
        if seg == ["repos"]:
            items = [self.b.repo(r) for r in range(cur, min(cur + per, self.o.repos))]
            links = self._next(f"/orgs/{ORG}/repos", q, cur + per) if cur + per < self.o.repos else {}
            return "org_repos", items, links
        if seg == ["teams"]:
            return "teams", [{"id": 100 + i, "slug": t, "name": t.title(), "privacy": "closed"}
                             for i, t in enumerate(self.teams)], {}
        if len(seg) == 3 and seg[0] == "teams" and seg[2] == "members" and seg[1] in self.teams:
            ti = self.teams.index(seg[1])
            members = [k for k in range(self.o.developers) if k % len(self.teams) == ti]
            page = members[cur:cur + per]
            links = self._next(f"/orgs/{ORG}/teams/{seg[1]}/members", q, cur + per) if cur + per < len(members) else {}
            return "team_members", [self.b.user(k) for k in page], links
        raise NotFound

    def route_repo(self, r: int, seg: list[str], q: dict):
        o = self.o
        rid = o.repo_id(r)
        per, cur = self._page(q)
        if not seg:
            return "repo", self.b.repo(r), {}
        if seg == ["commits"]:
            # newest first; cursor = how many already listed
            first = o.first_commit_since(r, parse_iso(q["since"])) if q.get("since") else 0
            top = o.n_commits(r) - 1 - cur
            idx = list(range(top, max(first, top - per + 1) - 1, -1)) if top >= first else []
            links = self._next(f"/repositories/{rid}/commits", q, cur + per) if top - per >= first else {}
            return "commits_list", [self.b.commit_item(r, i) for i in idx], links
        if len(seg) == 2 and seg[0] == "commits":
            rc = Org.unsha(seg[1])
            if rc is None or rc[0] != r or not 0 <= rc[1] < o.n_commits(r) or o.sha(*rc) != seg[1]:
                raise NotFound
            return "commit_detail", self.b.commit_detail(r, rc[1]), {}
        if seg == ["pulls"]:
            # state=all, sort=updated, direction=desc (what the client asks for)
            n = o.n_prs(r)
            top = n - 1 - cur
            idx = list(range(top, max(0, top - per + 1) - 1, -1)) if top >= 0 else []
            links = self._next(f"/repositories/{rid}/pulls", q, cur + per) if top - per >= 0 else {}
            return "pulls_list", [self.b.pr_item(r, j) for j in idx], links
        if seg == ["pulls", "comments"]:
            # sort=updated, direction=asc, since; cursor = PR index * 4 + comment index
            n = o.n_prs(r)
            if cur == 0 and q.get("since"):
                cur = o.first_pr_updated_since(r, parse_iso(q["since"]) - 3 * HOUR) * 4
            items, j, m = [], cur // 4, cur % 4
            since = parse_iso(q["since"]) if q.get("since") else None
            while j < n and len(items) < per:
                if m < o.n_comments(r, j):
                    c = self.b.comment(r, j, m)
                    if since is None or parse_iso(c["updated_at"]) >= since:
                        items.append(c)
                    m += 1
                else:
                    j, m = j + 1, 0
            links = self._next(f"/repositories/{rid}/pulls/comments", q, j * 4 + m) if j < n else {}
            return "review_comments", items, links
        if len(seg) >= 2 and seg[0] == "pulls":
            try:
                j = int(seg[1]) - 1
            except ValueError:
                raise NotFound from None
            if not 0 <= j < o.n_prs(r):
                raise NotFound
            if len(seg) == 2:
                return "pull", self.b.pr_item(r, j, single=True), {}
            if seg[2:] == ["commits"]:
                return "pull_commits", [self.b.commit_item(r, i) for i in o.pr_commits(r, j)], {}
            if seg[2:] == ["files"]:
                return "pull_files", self.b.pr_files(r, j), {}
            if seg[2:] == ["reviews"]:
                return "pull_reviews", self.b.reviews(r, j), {}
        raise NotFound


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 with keep-alive: GET only, no request bodies."""

    app: App

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            lines = head.split("\r\n")
            try:
                method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            inm = None
            close = False
            for line in lines[1:]:
                k, _, v = line.partition(":")
                k = k.strip().lower()
                if k == "if-none-match":
                    inm = v.strip()
                elif k == "connection" and v.strip().lower() == "close":
                    close = True
            if method != "GET":
                status, headers, body = 405, {}, b'{"message":"method not allowed"}'
            else:
                status, headers, body = self.app.handle(target, inm)
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "OK")
            out = [f"HTTP/1.1 {status} {reason}", "content-type: application/json; charset=utf-8",
                   f"content-length: {len(body)}", "x-ratelimit-limit: 5000", "x-ratelimit-remaining: 4999",
                   f"x-ratelimit-reset: {int(time.time()) + 3600}", "x-ratelimit-resource: core"]
            out += [f"{k}: {v}" for k, v in headers.items()]
            self.transport.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
            if close:
                self.transport.close()
                return


async def serve(org_args: dict, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    holder: dict = {}

    def factory():
        p = HttpProtocol()
        p.app = holder["app"]
        return p

    server = await loop.create_server(factory, host, port)
    real_port = server.sockets[0].getsockname()[1]
    base = f"http://{host}:{real_port}"
    holder["app"] = App(Org(base=base, **org_args))
    print(f"LISTENING {base}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    app = holder["app"]
    print(json.dumps({"requests": app.requests, "by_kind": app.by_kind}), flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repos", type=int, default=20)
    p.add_argument("--commits", type=int, default=20_000, help="total over all repositories")
    p.add_argument("--developers", type=int, default=0, help="default: commits / 430 (the demo's yearly rate)")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--start", default="2024-01-01")
    p.add_argument("--pr-ratio", type=float, default=0.2)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args(argv)
    start = int(datetime.combine(date.fromisoformat(args.start), datetime.min.time(), tzinfo=timezone.utc).timestamp())
    developers = args.developers or max(10, args.commits // 430)
    org = {"repos": args.repos, "commits": args.commits, "developers": developers, "start": start,
           "days": args.days, "pr_ratio": args.pr_ratio}
    try:
        import uvloop  # type: ignore

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(org, "127.0.0.1", args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
