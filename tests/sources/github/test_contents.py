"""Dependency-manifest contents (``raw.file_contents``) from the contents API.

A SYNTHESIZED repository on the replay server: two default-branch commits
whose details list manifest and other files, and ``/contents/{path}?ref=``
answers for some of them (an unrouted path answers 404).
"""

from __future__ import annotations

import base64
from datetime import datetime

import duckdb

from .conftest import Captured, count, run, workspace
from .replay import Exchange, ReplayServer

REPO = "acme/widgets"
SHA1 = "1" * 40
SHA2 = "2" * 40
PACKAGE_JSON = '{\n  "name": "widgets",\n  "dependencies": {"left-pad": "^1.3.0"}\n}\n'
WEB_PACKAGE_JSON = '{"name": "web", "dependencies": {"react": "18.2.0"}}\n'


def _commit(sha: str, authored: str, committed: str | None) -> dict:
    return {
        "sha": sha,
        "commit": {
            "author": {"name": "Ada", "email": "ada@example.com", "date": authored},
            "committer": {"name": "Ada", "email": "ada@example.com", "date": committed} if committed else None,
            "message": f"commit {sha[:7]}",
        },
        "author": None,
        "committer": None,
        "parents": [],
    }


def _file(name: str, status: str = "modified") -> dict:
    return {"filename": name, "status": status, "additions": 1, "deletions": 1, "changes": 2}


def _contents(path: str, data: bytes | None, *, size: int | None = None) -> dict:
    """A contents-API file object: base64 content, or ``encoding: none`` (over 1 MB)."""
    body = {"type": "file", "name": path.rsplit("/", 1)[-1], "path": path, "sha": "b" * 40,
            "size": size if size is not None else len(data or b"")}
    if data is None:
        body.update(encoding="none", content="")
    else:
        encoded = base64.b64encode(data).decode()
        # GitHub wraps the base64 text in lines of 60 characters.
        body.update(encoding="base64", content="\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n")
    return body


def serve_widgets(server: ReplayServer) -> None:
    c1 = _commit(SHA1, "2024-03-01T10:00:00Z", "2024-03-01T12:00:00Z")
    c2 = _commit(SHA2, "2024-03-02T09:00:00Z", None)  # no committer date: authored_at is used
    server.add_json(f"/repos/{REPO}", {
        "id": 4242, "full_name": REPO, "fork": False, "default_branch": "main",
        "owner": {"login": "acme", "id": 1, "type": "User"},
    })
    server.add_json(f"/repos/{REPO}/commits", [c2, c1])
    server.add_json(f"/repos/{REPO}/pulls", [])
    server.add_json(f"/repos/{REPO}/pulls/comments", [])
    server.add_json(f"/repos/{REPO}/commits/{SHA1}", dict(c1, stats={"additions": 3, "deletions": 3}, files=[
        _file("package.json"),                        # stored
        _file("requirements.txt", status="removed"),  # NULL, no request
        _file("README.md"),                           # not a manifest
    ]))
    server.add_json(f"/repos/{REPO}/commits/{SHA2}", dict(c2, stats={"additions": 5, "deletions": 5}, files=[
        _file("vendor/huge/package.json"),       # over 1 MB: encoding none -> NULL
        _file("go.mod", status="added"),         # 404 -> a gap
        _file("Go.mod", status="added"),         # go.mod is case-sensitive: not a manifest, no request
        _file("web app/package.json"),           # a path that needs quoting
        _file("bin/Cargo.toml"),                 # binary (NUL bytes) -> NULL
    ]))
    contents = f"/repos/{REPO}/contents"
    server.add(f"{contents}/package.json", _exchange(_contents("package.json", PACKAGE_JSON.encode())), query=f"ref={SHA1}")
    server.add(f"{contents}/vendor/huge/package.json",
               _exchange(_contents("vendor/huge/package.json", None, size=3_500_000)), query=f"ref={SHA2}")
    server.add(f"{contents}/web app/package.json",
               _exchange(_contents("web app/package.json", WEB_PACKAGE_JSON.encode())), query=f"ref={SHA2}")
    server.add(f"{contents}/bin/Cargo.toml", _exchange(_contents("bin/Cargo.toml", b"\x00\x01binary")),
               query=f"ref={SHA2}")


def _exchange(body: dict) -> Exchange:
    return Exchange(200, {}, body)


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select path, sha, committed_at, on_default_branch, content from raw.file_contents order by sha, path"
    ).fetchall()


def test_manifest_contents_are_stored_once(captured: Captured):
    with ReplayServer() as server:
        serve_widgets(server)
        con = duckdb.connect()
        report = run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1))
        asked = sorted((s.path, s.query.get("ref")) for s in server.requests_to(r"/contents/"))
        raw_targets = sorted(s.raw for s in server.requests_to(r"/contents/web app/"))

        server.reset_log()
        second = run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1), run_id="r2")
        asked_again = server.requests_to(r"/contents/")

    assert report.completed and second.completed
    c = f"/repos/{REPO}/contents"
    # One request per manifest that was not removed; README.md, Go.mod and the
    # removed requirements.txt are not asked for.
    assert asked == [
        (f"{c}/bin/Cargo.toml", SHA2),
        (f"{c}/go.mod", SHA2),
        (f"{c}/package.json", SHA1),
        (f"{c}/vendor/huge/package.json", SHA2),
        (f"{c}/web app/package.json", SHA2),
    ]
    assert raw_targets == [f"{c}/web%20app/package.json?ref={SHA2}"]

    t1, t2 = datetime(2024, 3, 1, 12), datetime(2024, 3, 2, 9)  # committer time; author time as fallback
    assert _rows(con) == [
        ("package.json", SHA1, t1, True, PACKAGE_JSON),
        ("requirements.txt", SHA1, t1, True, None),
        ("bin/Cargo.toml", SHA2, t2, True, None),
        ("vendor/huge/package.json", SHA2, t2, True, None),
        ("web app/package.json", SHA2, t2, True, WEB_PACKAGE_JSON),
    ]
    assert report.rows_inserted()["file_contents"] == 5
    assert report.as_metadata()["rows_inserted"]["file_contents"] == 5

    # The 404: a gap and a cursor, so the next run does not ask again.
    assert report.gap_counts() == {"contents": 1}
    assert [(g.path, g.status) for g in report.gaps] == [(f"{c}/go.mod?ref={SHA2}", 404)]
    assert count(con, "select cursor_value from raw.ingest_cursors where source = 'github' and entity = ?",
                 f"contents/{SHA2}/go.mod") == "404"
    assert "vendor/huge/package.json" in captured.text and "too large" in captured.text
    assert "bin/Cargo.toml" in captured.text and "binary" in captured.text
    assert "5 manifest contents" in captured.text

    # The second run: nothing left to fetch, nothing changed.
    assert asked_again == []
    assert second.gap_counts() == {}
    assert second.rows_inserted().get("file_contents", 0) == 0
    assert second.rows_updated().get("file_contents", 0) == 0
    assert count(con, "select count(*) from raw.file_contents") == 5


def test_no_contents_without_commit_details():
    with ReplayServer() as server:
        serve_widgets(server)
        con = duckdb.connect()
        report = run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1),
                     commit_details=False)
        asked = server.requests_to(r"/contents/")
    assert report.completed and asked == []
    assert count(con, "select count(*) from raw.file_contents") == 0


def test_contents_after_a_crash_resume_from_the_warehouse():
    """Commit files already stored (a run that stopped before the contents
    stage): the next run fetches exactly the missing contents."""
    with ReplayServer() as server:
        serve_widgets(server)
        con = duckdb.connect()
        run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1))
        con.execute("delete from raw.file_contents where path in ('package.json', 'requirements.txt')")
        server.reset_log()
        report = run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1), run_id="r2")
        asked = [s.path for s in server.requests_to(r"/contents/")]
    assert asked == [f"/repos/{REPO}/contents/package.json"]
    assert report.rows_inserted()["file_contents"] == 2
    assert count(con, "select content from raw.file_contents where path = 'package.json'") == PACKAGE_JSON


def test_budget_counts_the_manifest_backlog():
    """Manifest commit files already in the warehouse without content (and
    not removed) are one contents request each in the estimate."""
    from pipelines.config import GithubSettings
    from pipelines.sources.github import ClientOptions, estimate_budget

    from .conftest import TOKEN, FakeTime

    with ReplayServer() as server:
        serve_widgets(server)
        con = duckdb.connect()
        run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1))
        con.execute("delete from raw.file_contents")  # requirements.txt is removed: no request
        fake = FakeTime()
        est = estimate_budget(con, workspace({"repo": REPO}), GithubSettings(), since=datetime(2024, 1, 1),
                              token=TOKEN, api_url=server.url,
                              options=ClientOptions(sleep=fake.sleep, clock=fake.clock))
        no_details = estimate_budget(con, workspace({"repo": REPO}), GithubSettings(), since=datetime(2024, 1, 1),
                                     token=TOKEN, api_url=server.url, commit_details=False,
                                     options=ClientOptions(sleep=fake.sleep, clock=fake.clock))
    # package.json, vendor/huge/package.json, web app/package.json, bin/Cargo.toml;
    # go.mod has a gap cursor, Go.mod is not a manifest.
    assert est.requests["manifest_contents"] == 4
    assert no_details.requests["manifest_contents"] == 0


def test_a_manifest_renamed_away_ends_at_that_commit():
    """GitHub lists a rename once, under the new path with ``previous_filename``:
    the old path gets a NULL row (its dependencies end there) and no request,
    the new path its content, and a rename from or to a non-manifest nothing
    extra. A path renamed away and written again in the same commit is present."""
    sha = "3" * 40
    c3 = _commit(sha, "2024-03-03T08:00:00Z", "2024-03-03T08:30:00Z")

    def renamed(new: str, old: str) -> dict:
        return dict(_file(new, status="renamed"), previous_filename=old)

    with ReplayServer() as server:
        server.add_json(f"/repos/{REPO}", {
            "id": 4242, "full_name": REPO, "fork": False, "default_branch": "main",
            "owner": {"login": "acme", "id": 1, "type": "User"},
        })
        server.add_json(f"/repos/{REPO}/commits", [c3])
        server.add_json(f"/repos/{REPO}/pulls", [])
        server.add_json(f"/repos/{REPO}/pulls/comments", [])
        server.add_json(f"/repos/{REPO}/commits/{sha}", dict(c3, stats={"additions": 4, "deletions": 4}, files=[
            renamed("app/package.json", "package.json"),      # old path: NULL; new path: fetched
            renamed("docs/deps.txt", "requirements.txt"),     # to a non-manifest: the old path ends
            renamed("go.mod", "notes/go.txt"),                # from a non-manifest: only go.mod
            renamed("Cargo.toml", "rust/Cargo.toml"),         # old path also written below: present
            _file("rust/Cargo.toml", status="added"),
        ]))
        contents = f"/repos/{REPO}/contents"
        for path, text in [("app/package.json", PACKAGE_JSON), ("go.mod", "module acme/widgets\n"),
                           ("Cargo.toml", '[package]\nname = "w"\n'), ("rust/Cargo.toml", '[package]\nname = "r"\n')]:
            server.add(f"{contents}/{path}", _exchange(_contents(path, text.encode())), query=f"ref={sha}")
        con = duckdb.connect()
        report = run(con, server.url, ws=workspace({"repo": REPO}), since=datetime(2024, 1, 1))
        asked = sorted(s.path for s in server.requests_to(r"/contents/"))

    assert report.completed and report.gap_counts() == {}
    assert asked == [f"/repos/{REPO}/contents/{p}"
                     for p in ("Cargo.toml", "app/package.json", "go.mod", "rust/Cargo.toml")]
    t = datetime(2024, 3, 3, 8, 30)
    assert _rows(con) == [
        ("Cargo.toml", sha, t, True, '[package]\nname = "w"\n'),
        ("app/package.json", sha, t, True, PACKAGE_JSON),
        ("go.mod", sha, t, True, "module acme/widgets\n"),
        ("package.json", sha, t, True, None),
        ("requirements.txt", sha, t, True, None),
        ("rust/Cargo.toml", sha, t, True, '[package]\nname = "r"\n'),
    ]
    # the rename is kept on the commit file itself
    assert con.execute("select path, previous_path from raw.commit_files where status = 'renamed' order by path"
                       ).fetchall() == [("Cargo.toml", "rust/Cargo.toml"), ("app/package.json", "package.json"),
                                        ("docs/deps.txt", "requirements.txt"), ("go.mod", "notes/go.txt")]
