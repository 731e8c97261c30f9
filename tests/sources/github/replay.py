"""A loopback HTTP server that replays recorded GitHub REST exchanges.

Real HTTP on 127.0.0.1 (stdlib ``http.server`` in a thread, port 0): the
client under test is the production one, unmodified.

- Routes map a percent-decoded path (and optionally a query) to an
  :class:`Exchange` (recorded, or synthesized by a test and marked so), or to
  a callable that builds one per request.
- ``https://api.github.com`` in bodies and ``Link`` headers is rewritten to
  the server's own URL. Hop-by-hop headers of the recording are dropped.
- Every 200 JSON answer carries ``etag: W/"<sha256 of the body>"``; a matching
  ``If-None-Match`` gets ``304`` with no body.
- ``emulate=True`` makes list endpoints behave as GitHub's do: ``state``,
  ``sort``/``direction`` and ``since`` are applied, and lists are cut into
  pages (``per_page``, capped by ``page_size``) with ``Link`` headers whose
  URLs use GitHub's ``/repositories/{id}/...`` form and an opaque ``after``
  token, so only a client that follows ``Link`` verbatim gets page 2.
- Faults: answer the Nth request, or the first K requests matching a path
  pattern, with another status/headers/body, a truncated JSON body, a short
  body (``Content-Length`` larger than what is sent), or a dropped connection.
- ``token``: when set, requests without ``Authorization: Bearer <token>`` get
  GitHub's 401.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
GITHUB = "https://api.github.com"
DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "status", "connection", "keep-alive"}


@dataclass
class Exchange:
    status: int
    headers: dict[str, Any]
    body: Any  # decoded JSON; a str is sent verbatim
    source: str = "synthesized"

    @classmethod
    def load(cls, path: Path) -> "Exchange":
        d = json.loads(path.read_text())
        return cls(d["response"]["status"], dict(d["response"]["headers"]), d["response"]["body"], source=str(path))


def load_recording(path: Path) -> tuple[str, str, Exchange]:
    """(decoded path, query, exchange) of one fixture file."""
    d = json.loads(path.read_text())
    parts = urlsplit(d["request"]["url"])
    return unquote(parts.path), parts.query, Exchange.load(path)


@dataclass
class Seen:
    n: int
    method: str
    path: str  # decoded
    query: dict[str, str]
    raw: str  # the request target exactly as received
    if_none_match: str | None
    authorization: str | None
    status: int = 0


@dataclass
class Fault:
    """Replace matching answers. ``kind``: respond | truncate | short | drop."""

    kind: str
    nth: int | None = None  # the Nth request of the server's life (1-based)
    path: str | None = None  # regex searched in the decoded path
    times: int = 1
    status: int = 0
    headers: dict[str, Any] | Callable[[], dict[str, Any]] | None = None
    body: Any = None
    fired: int = 0

    def matches(self, seen: Seen) -> bool:
        if self.fired >= self.times:
            return False
        if self.nth is not None and not (self.nth <= seen.n < self.nth + self.times):
            return False
        if self.path is not None and not re.search(self.path, seen.path):
            return False
        return True


def weak_etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha256(body).hexdigest() + '"'


class ReplayServer:
    def __init__(self, *, emulate: bool = False, page_size: int | None = None, token: str | None = None):
        self.routes: dict[str, list[tuple[str | None, Exchange | Callable[[Seen], Exchange]]]] = {}
        self.emulate = emulate
        self.page_size = page_size
        self.token = token
        self.faults: list[Fault] = []
        self.log: list[Seen] = []
        self.repository_ids: dict[int, str] = {}  # for /repositories/{id}/... Link URLs
        self.on_request: Callable[[Seen], None] | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up ----------------------------------------------------------------

    def add(self, path: str, exchange: Exchange | Callable[[Seen], Exchange], query: str | None = None) -> None:
        """Serve ``exchange`` at ``path``; ``query`` None matches any query."""
        bucket = self.routes.setdefault(path, [])
        bucket[:] = [(q, e) for q, e in bucket if q != query]
        bucket.append((query, exchange))

    def add_json(self, path: str, body: Any, status: int = 200, headers: dict | None = None, note: str = "synthesized") -> None:
        self.add(path, Exchange(status, dict(headers or {}), body, source=note))

    def load_dir(self, folder: Path) -> None:
        for f in sorted(folder.glob("*.json")):
            if f.name == "index.json":
                continue
            path, query, ex = load_recording(f)
            self.add(path, ex, query)

    def body(self, path: str) -> Any:
        """The (mutable) body served at ``path`` for any query."""
        for _, ex in self.routes[path]:
            if isinstance(ex, Exchange):
                return ex.body
        raise KeyError(path)

    def remove(self, path: str) -> None:
        self.routes.pop(path, None)

    # -- life cycle ------------------------------------------------------------

    def __enter__(self) -> "ReplayServer":
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- inspection ------------------------------------------------------------

    def requests_to(self, pattern: str) -> list[Seen]:
        return [s for s in self.log if re.search(pattern, s.path)]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- answering -------------------------------------------------------------

    def _resolve(self, seen: Seen) -> Exchange | None:
        path = seen.path
        m = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if m and int(m.group(1)) in self.repository_ids:
            path = f"/repos/{self.repository_ids[int(m.group(1))]}{m.group(2) or ''}"
        bucket = self.routes.get(path)
        if not bucket:
            return None
        query = dict(seen.query)
        wanted = urlencode(sorted(query.items()))
        page = query.get("page", "1")
        choice = None
        for q, ex in bucket:  # exact query
            if q is not None and urlencode(sorted(parse_qsl(q))) == wanted:
                choice = ex
        if choice is None:
            for q, ex in bucket:  # any query
                if q is None:
                    choice = ex
        if choice is None:
            for q, ex in bucket:  # same page (ignore the other parameters)
                if dict(parse_qsl(q or "")).get("page", "1") == page or self.emulate:
                    choice = ex
                    break
        if choice is None:
            return None
        return choice(seen) if callable(choice) else choice

    def _emulate_list(self, seen: Seen, path: str, items: list) -> tuple[list, dict[str, str]]:
        q = seen.query
        items = list(items)
        if path.endswith("/pulls"):
            state = q.get("state", "open")
            if state != "all":
                items = [x for x in items if x.get("state") == state]
            sort = q.get("sort", "created")
            direction = q.get("direction", "desc" if sort == "created" else "asc")
            items.sort(key=lambda x: (x.get(f"{sort}_at") or "", x.get("number", 0)), reverse=direction == "desc")
        elif path.endswith("/pulls/comments"):
            if "since" in q:
                items = [x for x in items if (x.get("updated_at") or "") >= q["since"]]
            sort = q.get("sort", "created")
            direction = q.get("direction", "asc")
            items.sort(key=lambda x: (x.get(f"{sort}_at") or "", x.get("id", 0)), reverse=direction == "desc")
        elif path.endswith("/commits") and "/pulls/" not in path:
            if "since" in q:
                items = [x for x in items if ((x.get("commit") or {}).get("committer") or {}).get("date", "") >= q["since"]]
        per_page = int(q.get("per_page", "30"))
        size = min(per_page, self.page_size) if self.page_size else per_page
        page = int(q.get("page", "1"))
        if page > 1 and q.get("after") != _token(path, page):
            raise _BadRequest("invalid pagination cursor: follow the Link header")
        total_pages = max(1, -(-len(items) // size))
        chunk = items[(page - 1) * size : page * size]
        links: dict[str, str] = {}
        if total_pages > 1:
            link_path = path
            m = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", path)
            ids = {v.lower(): k for k, v in self.repository_ids.items()}
            if m and m.group(1).lower() in ids:
                link_path = f"/repositories/{ids[m.group(1).lower()]}{m.group(2) or ''}"
            base = [(k, v) for k, v in q.items() if k not in ("page", "after")]

            def page_url(p: int) -> str:
                extra = [("page", str(p))] + ([("after", _token(path, p))] if p > 1 else [])
                return f"{self.url}{link_path}?{urlencode(base + extra)}"

            if page < total_pages:
                links["next"] = page_url(page + 1)
                links["last"] = page_url(total_pages)
            if page > 1:
                links["first"] = page_url(1)
                links["prev"] = page_url(page - 1)
        return chunk, links


class _BadRequest(Exception):
    pass


def _token(path: str, page: int) -> str:
    return hashlib.sha1(f"{path}#{page}".encode()).hexdigest()[:16]


def _make_handler(server: ReplayServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's
            # algorithm and delayed ACKs cost ~40 ms per request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with server._lock:
                seen = Seen(
                    n=len(server.log) + 1,
                    method="GET",
                    path=unquote(parts.path),
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    raw=self.path,
                    if_none_match=self.headers.get("If-None-Match"),
                    authorization=self.headers.get("Authorization"),
                )
                server.log.append(seen)
                fault = next((f for f in server.faults if f.matches(seen)), None)
                if fault is not None:
                    fault.fired += 1
            if server.on_request is not None:
                server.on_request(seen)
            if fault is not None and fault.kind == "drop":
                seen.status = -1
                self.close_connection = True
                return
            if fault is not None and fault.kind == "respond":
                headers = fault.headers() if callable(fault.headers) else dict(fault.headers or {})
                self._send(seen, fault.status, headers, fault.body)
                return
            if server.token and seen.authorization != f"Bearer {server.token}":
                self._send(seen, 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
                return
            ex = server._resolve(seen)
            if ex is None:
                self._send(seen, 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
                return
            headers = {k: v for k, v in ex.headers.items() if k.lower() not in DROP_HEADERS}
            body = ex.body
            if server.emulate and ex.status == 200 and isinstance(body, list) and all(isinstance(x, dict) for x in body):
                path = seen.path
                m = re.match(r"^/repositories/(\d+)(/.*)?$", path)
                if m and int(m.group(1)) in server.repository_ids:
                    path = f"/repos/{server.repository_ids[int(m.group(1))]}{m.group(2) or ''}"
                try:
                    body, links = server._emulate_list(seen, path, body)
                except _BadRequest as e:
                    self._send(seen, 400, {}, {"message": str(e)})
                    return
                headers.pop("link", None)
                if links:
                    headers["link"] = ", ".join(f'<{u}>; rel="{rel}"' for rel, u in links.items())
            self._send(seen, ex.status, headers, body, fault=fault)

        def _send(self, seen: Seen, status: int, headers: dict, body: Any, fault: Fault | None = None) -> None:
            if isinstance(body, str):
                data = body.encode()
            elif body is None:
                data = b""
            else:
                data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            data = data.replace(GITHUB.encode(), server.url.encode())
            headers = {
                k.lower(): (", ".join(v) if isinstance(v, list) else str(v))
                for k, v in headers.items()
                if k.lower() not in DROP_HEADERS
            }
            if "link" in headers:
                headers["link"] = headers["link"].replace(GITHUB, server.url)
            if status == 200 and data and not isinstance(body, str):
                headers["etag"] = weak_etag(data)
                if seen.if_none_match and seen.if_none_match == headers["etag"]:
                    status, data = 304, b""
                    headers = {"etag": headers["etag"]}
            headers.setdefault("content-type", "application/json; charset=utf-8")
            declared = len(data)
            if fault is not None and fault.kind == "truncate":
                data = data[: max(1, len(data) // 2)]
                declared = len(data)
            elif fault is not None and fault.kind == "short":
                data = data[: max(1, len(data) // 2)]
            seen.status = status
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            if status != 304:
                self.wfile.write(data)
            if fault is not None and fault.kind == "short":
                self.close_connection = True

    return Handler


# -- the panjf2000/ants recording ------------------------------------------------------

ANTS = FIXTURES / "ants"
ANTS_REPO = "panjf2000/ants"


def ants_pulls() -> list[dict]:
    return Exchange.load(ANTS / "repos_panjf2000_ants_pulls__direction-asc_page-1_per_page-100_state-all.json").body


def ants_repo_object() -> dict:
    """The repository object, as recorded inside the PR list (``base.repo``)."""
    return copy.deepcopy(ants_pulls()[0]["base"]["repo"])


def ants_server(**kwargs) -> ReplayServer:
    """The ants recording, plus ``GET /repos/panjf2000/ants`` taken from a
    recorded PR's ``base.repo``. Everything else unrecorded answers 404."""
    s = ReplayServer(**kwargs)
    s.load_dir(ANTS)
    repo = ants_repo_object()
    s.add_json(f"/repos/{ANTS_REPO}", repo, note="recorded: base.repo of the first recorded PR")
    s.repository_ids[repo["id"]] = ANTS_REPO
    return s


def recorded_items(pattern: str) -> dict[str, list]:
    """Bodies of the ants files whose name matches ``pattern``, by file name."""
    return {f.name: Exchange.load(f).body for f in sorted(ANTS.glob(pattern))}


def _stable(n: int, salt: str) -> int:
    return int(hashlib.sha256(f"{salt}:{n}".encode()).hexdigest()[:8], 16)


def complete_ants(s: ReplayServer) -> None:
    """Fill the gaps of the ants recording with SYNTHESIZED answers, so the
    whole ingest path (single PRs, files, commit details, users) runs:

    - ``GET /pulls/{n}``: the recorded list item plus additions, deletions,
      changed_files, commits and merged_by (the repository owner for merged PRs);
    - ``/pulls/{n}/files``: 1-3 made-up paths; ``/pulls/{n}/reviews`` and
      ``/commits`` default to ``[]`` where nothing was recorded;
    - ``/commits`` (default branch): the recorded commits of merged PRs;
    - ``/commits/{sha}``: the recorded item plus stats and files;
    - ``/users/{login}``: the embedded user plus ``created_at`` and a name.
    """
    pulls = ants_pulls()
    owner = ants_repo_object()["owner"]
    pr_commits: dict[int, list] = {}
    for name, body in recorded_items("repos_panjf2000_ants_pulls_*_commits__*.json").items():
        pr_commits[int(name.split("_")[4])] = body
    users: dict[str, dict] = {}
    merged_commits: list[dict] = []
    for pr in pulls:
        n = pr["number"]
        commits = pr_commits.get(n, [])
        if pr.get("merged_at"):
            merged_commits += commits
        single = copy.deepcopy(pr)
        nfiles = 1 + _stable(n, "files") % 3
        single.update(
            merged=bool(pr.get("merged_at")),
            merged_by=copy.deepcopy(owner) if pr.get("merged_at") else None,
            commits=len(commits),
            additions=10 * n,
            deletions=n,
            changed_files=nfiles,
        )
        s.add_json(f"/repos/{ANTS_REPO}/pulls/{n}", single)
        s.add_json(f"/repos/{ANTS_REPO}/pulls/{n}/files", [_file(f"pkg/pr{n}_{i}.go", n + i) for i in range(nfiles)])
        if f"/repos/{ANTS_REPO}/pulls/{n}/reviews" not in s.routes:
            s.add_json(f"/repos/{ANTS_REPO}/pulls/{n}/reviews", [])
        if f"/repos/{ANTS_REPO}/pulls/{n}/commits" not in s.routes:
            s.add_json(f"/repos/{ANTS_REPO}/pulls/{n}/commits", [])
        for u in [pr.get("user")] + [c.get(k) for c in commits for k in ("author", "committer")]:
            if isinstance(u, dict):
                users[u["login"]] = u
    default_branch = sorted(
        {c["sha"]: c for c in merged_commits}.values(), key=lambda c: c["commit"]["committer"]["date"], reverse=True
    )
    s.add_json(f"/repos/{ANTS_REPO}/commits", copy.deepcopy(default_branch))
    for c in {c["sha"]: c for cs in pr_commits.values() for c in cs}.values():
        add_commit_detail(s, c)
    for body in recorded_items("repos_panjf2000_ants_pulls_*_reviews__*.json").values():
        for r in body:
            users[r["user"]["login"]] = r["user"]
    for c in s.body(f"/repos/{ANTS_REPO}/pulls/comments"):
        users[c["user"]["login"]] = c["user"]
    users[owner["login"]] = owner
    for login, u in users.items():
        path = f"/users/{login}"
        if path not in s.routes:
            full = copy.deepcopy(u)
            full.update(name=f"{login} (synthesized)", email=None, created_at="2015-01-01T00:00:00Z")
            s.add_json(path, full)


def add_commit_detail(s: ReplayServer, item: dict) -> dict:
    sha = item["sha"]
    k = _stable(int(sha[:6], 16), "stats")
    files = [_file(f"src/{sha[:7]}_{i}.go", k + i) for i in range(1 + k % 2)]
    detail = copy.deepcopy(item)
    detail["stats"] = {
        "additions": sum(f["additions"] for f in files),
        "deletions": sum(f["deletions"] for f in files),
        "total": sum(f["changes"] for f in files),
    }
    detail["files"] = files
    s.add_json(f"/repos/{ANTS_REPO}/commits/{sha}", detail)
    return detail


def _file(name: str, k: int) -> dict:
    add, dele = 1 + k % 17, k % 5
    return {"filename": name, "status": "modified", "additions": add, "deletions": dele, "changes": add + dele,
            "patch": "@@ -1 +1 @@\n-a\n+b"}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
