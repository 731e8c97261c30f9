"""The git source against real repositories built with the real git binary."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipelines.config import GitRef
from pipelines.sources.git import GitSourceError, _tokens, ingest_git, parse_utc_offset
from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

ALICE = ("Alice Adams", "alice@example.com")
BOB = ("Bob Builder", "12345+bob@users.noreply.github.com")
CAROL = ("Carol Chen", "carol@example.com")
DAVE = ("Dave Doe", "dave@example.com")

INITIAL_MESSAGE = (
    "Initial import\n\nSet up the project.\n\nCo-authored-by: Bob Builder <bob@example.com>"
)


def _isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    return env


def git(cwd: Path, *args: str, who=ALICE, date: str = "2024-01-01T00:00:00+00:00",
        committer_date: str | None = None, input: bytes | None = None) -> str:
    env = _isolated_env(cwd)
    env.update(
        GIT_AUTHOR_NAME=who[0], GIT_AUTHOR_EMAIL=who[1], GIT_AUTHOR_DATE=date,
        GIT_COMMITTER_NAME=who[0], GIT_COMMITTER_EMAIL=who[1],
        GIT_COMMITTER_DATE=committer_date or date,
    )
    out = subprocess.run(["git", *args], cwd=cwd, env=env, input=input, capture_output=True)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode().strip()


def commit(cwd: Path, message: str, **kw) -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--allow-empty", "-m", message, **kw)
    return git(cwd, "rev-parse", "HEAD")


def literal_commit(cwd: Path, author_line: str, message: str) -> str:
    """A commit object written as given, bypassing git's validation."""
    tree = git(cwd, "rev-parse", "HEAD^{tree}")
    parent = git(cwd, "rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\n{author_line}\n"
        f"committer Mallory <mallory@example.com> 1709600000 +0000\n\n{message}\n"
    )
    return git(cwd, "hash-object", "--literally", "-t", "commit", "-w", "--stdin", input=body.encode())


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch, tmp_path):
    """The source's own git calls ignore the machine's git config."""
    for key, value in _isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("GIT_") and k not in
                ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")]:
        monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """main: c1 - c2 - c4 - c5(merge of feature: c3); wip: c5 - c6."""
    root = tmp_path_factory.mktemp("template") / "widget"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}

    (root / "README.md").write_text("# Widget\nA widget.\nMIT\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("".join(f"line {i}\n" for i in range(1, 21)))
    shas["c1"] = commit(root, INITIAL_MESSAGE, date="2024-03-04T23:30:00+01:00",
                        committer_date="2024-03-04T23:31:00+01:00")

    # A rename across folders ({src => lib}/app.py in plain numstat) with one
    # line changed, and a binary file.
    (root / "lib").mkdir()
    git(root, "mv", "src/app.py", "lib/app.py")
    (root / "lib" / "app.py").write_text(
        "".join(f"line {i}\n" if i != 5 else "line five\n" for i in range(1, 21)))
    (root / "assets").mkdir()
    (root / "assets" / "logo.png").write_bytes(bytes(range(256)) * 4)
    shas["c2"] = commit(root, "Move app to lib, add logo", who=BOB, date="2024-03-05T08:15:00-0500")

    git(root, "checkout", "-q", "-b", "feature")
    (root / "docs").mkdir()
    (root / "docs" / "naïve guide.md").write_text("# Guide\nRead me.\n")
    shas["c3"] = commit(root, "Add guide", who=CAROL, date="2024-03-06T10:00:00+05:30")

    git(root, "checkout", "-q", "main")
    (root / "README.md").write_text("# Widget\nA small widget.\nMIT\n")
    shas["c4"] = commit(root, "Reword README", date="2024-03-06T12:00:00+00:00")

    git(root, "merge", "-q", "--no-ff", "feature", "-m", "Merge branch 'feature'",
        date="2024-03-07T09:00:00+02:00")
    shas["c5"] = git(root, "rev-parse", "HEAD")

    git(root, "checkout", "-q", "-b", "wip")
    (root / "wip.txt").write_text("todo\n")
    shas["c6"] = commit(root, "WIP", who=DAVE, date="2024-03-08T18:00:00-08:00")
    git(root, "checkout", "-q", "main")
    return root, shas


@pytest.fixture
def repo(template, tmp_path) -> tuple[Path, dict[str, str]]:
    root, shas = template
    copy = tmp_path / "widget"
    shutil.copytree(root, copy, symlinks=True)
    return copy, dict(shas)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def ingest(con, path, repo="Acme/Widget", refs=(), run_id="run-1", **kw):
    return ingest_git(con, GitRef(path=str(path), repo=repo, refs=list(refs)), "ws1", run_id=run_id, **kw)


COMMIT_COLUMNS = ("sha", "author_user_id", "author_login", "author_name", "author_email", "authored_at",
                  "author_utc_offset_minutes", "committer_email", "committed_at", "message",
                  "parent_count", "additions", "deletions", "on_default_branch")


def commits(con, repository="acme/widget") -> dict[str, dict]:
    rows = con.execute(
        f"select {', '.join(COMMIT_COLUMNS)} from raw.commits where repository = ? order by sha",
        [repository]).fetchall()
    return {r[0]: dict(zip(COMMIT_COLUMNS, r)) for r in rows}


def files(con, repository="acme/widget") -> set[tuple]:
    return set(con.execute(
        "select sha, path, status, additions, deletions from raw.commit_files where repository = ?",
        [repository]).fetchall())


def expected_commits(s: dict[str, str]) -> dict[str, dict]:
    def row(key, who, authored, offset, committed, message, parents, adds, dels, on_default=True):
        return {
            "sha": s[key], "author_user_id": None, "author_login": None,
            "author_name": who[0], "author_email": who[1], "authored_at": authored,
            "author_utc_offset_minutes": offset, "committer_email": who[1], "committed_at": committed,
            "message": message, "parent_count": parents, "additions": adds, "deletions": dels,
            "on_default_branch": on_default,
        }

    return {
        s["c1"]: row("c1", ALICE, datetime(2024, 3, 4, 22, 30), 60, datetime(2024, 3, 4, 22, 31),
                     INITIAL_MESSAGE, 0, 23, 0),
        s["c2"]: row("c2", BOB, datetime(2024, 3, 5, 13, 15), -300, datetime(2024, 3, 5, 13, 15),
                     "Move app to lib, add logo", 1, 1, 1),
        s["c3"]: row("c3", CAROL, datetime(2024, 3, 6, 4, 30), 330, datetime(2024, 3, 6, 4, 30),
                     "Add guide", 1, 2, 0),
        s["c4"]: row("c4", ALICE, datetime(2024, 3, 6, 12, 0), 0, datetime(2024, 3, 6, 12, 0),
                     "Reword README", 1, 1, 1),
        # Git shows no diff for a merge: its line counts are unknown (NULL).
        s["c5"]: row("c5", ALICE, datetime(2024, 3, 7, 7, 0), 120, datetime(2024, 3, 7, 7, 0),
                     "Merge branch 'feature'", 2, None, None),
    }


def expected_files(s: dict[str, str]) -> set[tuple]:
    return {
        (s["c1"], "README.md", "added", 3, 0),
        (s["c1"], "src/app.py", "added", 20, 0),
        (s["c2"], "lib/app.py", "renamed", 1, 1),
        (s["c2"], "assets/logo.png", "added", 0, 0),
        (s["c3"], "docs/naïve guide.md", "added", 2, 0),
        (s["c4"], "README.md", "modified", 1, 1),
    }


def test_ingests_exactly_the_commits_reachable_from_head(con, repo):
    path, s = repo
    report = ingest(con, path)

    assert commits(con) == expected_commits(s)  # the wip branch is not reachable from HEAD
    assert files(con) == expected_files(s)
    # a rename keeps its old path
    assert con.execute("select sha, path, previous_path from raw.commit_files where previous_path is not null"
                       ).fetchall() == [(s["c2"], "lib/app.py", "src/app.py")]
    assert (report.commits_seen, report.commits_inserted, report.commits_updated) == (5, 5, 0)
    assert (report.files_seen, report.files_inserted, report.files_updated) == (6, 6, 0)
    assert report.warnings == [] and report.full_walk and report.head == s["c5"]
    assert report.default_branch == "main"

    assert con.execute("select repository, github_id, is_fork, parent, default_branch, source, payload "
                       "from raw.repositories").fetchall() == [
        ("acme/widget", None, False, None, "main", "git", None)]
    assert con.execute("select * from raw.workspace_repositories").fetchall() == [("ws1", "acme/widget")]
    # Every insert is in the change log with the commit's author time.
    logged = con.execute("select entity_key, change, event_times from raw.change_log "
                         "where entity = 'commits' and run_id = 'run-1'").fetchall()
    assert sorted(logged) == sorted(
        (f"acme/widget/{sha}", "insert", [row["authored_at"]]) for sha, row in expected_commits(s).items())
    cursor = con.execute("select cursor_value from raw.ingest_cursors where source = 'git' "
                         "and repository = 'acme/widget' and entity = 'commits'").fetchone()[0]
    assert s["c5"] in cursor


def test_configured_refs_add_their_commits_off_the_default_branch(con, repo):
    path, s = repo
    report = ingest(con, path, refs=["wip", "no-such-branch"])

    rows = commits(con)
    assert set(rows) == {s["c1"], s["c2"], s["c3"], s["c4"], s["c5"], s["c6"]}
    assert rows[s["c6"]]["on_default_branch"] is False
    assert rows[s["c6"]]["authored_at"] == datetime(2024, 3, 9, 2, 0)  # 18:00 -08:00 is the next UTC day
    assert rows[s["c6"]]["author_utc_offset_minutes"] == -480
    assert all(rows[s[k]]["on_default_branch"] for k in ("c1", "c2", "c3", "c4", "c5"))
    assert (s["c6"], "wip.txt", "added", 1, 0) in files(con)
    assert report.commits_seen == 6
    assert len(report.warnings) == 1 and "'no-such-branch'" in report.warnings[0]


def test_a_bare_clone_gives_the_same_rows(con, repo, tmp_path):
    path, s = repo
    bare = tmp_path / "widget.git"
    git(tmp_path, "clone", "-q", "--bare", str(path), str(bare))

    report = ingest(con, bare, repo="acme/widget-mirror")

    assert report.default_branch == "main" and report.commits_seen == 5
    assert commits(con, "acme/widget-mirror") == expected_commits(s)
    assert files(con, "acme/widget-mirror") == expected_files(s)


def test_malformed_author_data_is_kept_with_a_warning_and_never_stops_the_run(con, repo):
    path, s = repo
    # 1709591400 is 2024-03-04 22:30:00 UTC; "+51800" is no time zone.
    bad_offset = literal_commit(path, "author Eve <eve@example.com> 1709591400 +51800", "bad offset")
    git(path, "update-ref", "refs/heads/main", bad_offset)
    no_date = literal_commit(path, "author Eve <eve@example.com>", "no author date")
    git(path, "update-ref", "refs/heads/main", no_date)
    (path / "after.txt").write_text("still here\n")
    after = commit(path, "after the bad ones", date="2024-03-11T10:00:00+01:00")

    report = ingest(con, path)

    rows = commits(con)
    assert len(rows) == 8 and report.commits_seen == 8
    assert rows[bad_offset] | {"sha": None} == {
        "sha": None, "author_user_id": None, "author_login": None, "author_name": "Eve",
        "author_email": "eve@example.com", "authored_at": datetime(2024, 3, 4, 22, 30),
        "author_utc_offset_minutes": None, "committer_email": "mallory@example.com",
        "committed_at": datetime(2024, 3, 5, 0, 53, 20), "message": "bad offset", "parent_count": 1,
        "additions": 0, "deletions": 0, "on_default_branch": True,
    }
    # An unreadable author date falls back to the committer time.
    assert rows[no_date]["authored_at"] == datetime(2024, 3, 5, 0, 53, 20)
    assert rows[no_date]["author_utc_offset_minutes"] is None
    assert rows[after]["author_utc_offset_minutes"] == 60
    assert len(report.warnings) == 2
    (offset_warning,) = [w for w in report.warnings if bad_offset in w]
    (date_warning,) = [w for w in report.warnings if no_date in w]
    assert "'+51800'" in offset_warning and "2024-03-04T22:30:00" in offset_warning
    assert "committer time" in date_warning


def test_incremental_run_reads_only_new_commits_and_a_repeat_changes_nothing(con, repo):
    path, s = repo
    ingest(con, path, run_id="run-1")
    (path / "new.txt").write_text("one\ntwo\n")
    new = commit(path, "Add new file", who=CAROL, date="2024-03-12T09:30:00+09:00")

    second = ingest(con, path, run_id="run-2")

    assert not second.full_walk
    assert (second.commits_seen, second.commits_inserted, second.commits_updated) == (1, 1, 0)
    assert (second.files_seen, second.files_inserted) == (1, 1)
    assert con.execute("select entity, change, entity_key from raw.change_log where run_id = 'run-2' "
                       "order by entity").fetchall() == [
        ("commit_files", "insert", f"acme/widget/{new}/new.txt"),
        ("commits", "insert", f"acme/widget/{new}"),
    ]
    assert commits(con)[new]["authored_at"] == datetime(2024, 3, 12, 0, 30)
    assert len(commits(con)) == 6

    before = (commits(con), files(con), con.execute("select count(*) from raw.change_log").fetchone())
    third = ingest(con, path, run_id="run-3")
    assert (third.commits_seen, third.commits_inserted, third.commits_updated) == (0, 0, 0)
    assert (commits(con), files(con), con.execute("select count(*) from raw.change_log").fetchone()) == before


def test_a_branch_merged_after_the_last_run_is_flagged_on_the_default_branch(con, repo):
    path, s = repo
    ingest(con, path, refs=["wip"], run_id="run-1")
    assert commits(con)[s["c6"]]["on_default_branch"] is False

    git(path, "merge", "-q", "--ff-only", "wip")
    report = ingest(con, path, refs=["wip"], run_id="run-2")

    assert not report.full_walk
    assert (report.commits_seen, report.commits_inserted, report.commits_updated) == (1, 0, 1)
    assert commits(con)[s["c6"]]["on_default_branch"] is True
    assert con.execute("select change, entity_key from raw.change_log where run_id = 'run-2'").fetchall() == [
        ("update", f"acme/widget/{s['c6']}")]


@pytest.mark.parametrize("gc", [False, True], ids=["old-head-unreachable", "old-head-gone"])
def test_force_push_falls_back_to_a_full_walk(con, repo, gc):
    path, s = repo
    ingest(con, path, run_id="run-1")
    git(path, "reset", "-q", "--hard", s["c4"])
    replacement = commit(path, "Replacement", date="2024-03-07T10:00:00+00:00")
    if gc:
        git(path, "branch", "-q", "-D", "feature", "wip")
        git(path, "reflog", "expire", "--expire=now", "--all")
        git(path, "gc", "-q", "--prune=now")
        with pytest.raises(AssertionError):
            git(path, "cat-file", "-e", s["c5"])

    report = ingest(con, path, run_id="run-2")

    assert report.full_walk and report.head == replacement
    assert (report.commits_seen, report.commits_inserted, report.commits_updated) == (4, 1, 0)
    assert set(commits(con)) == {s["c1"], s["c2"], s["c3"], s["c4"], s["c5"], replacement}


def test_an_empty_repository_reports_zero_then_ingests_its_first_commit(con, tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    git(path, "init", "-q", "-b", "trunk")

    report = ingest(con, path, repo="acme/empty")

    assert (report.commits_seen, report.files_seen, report.warnings, report.head) == (0, 0, [], None)
    assert con.execute("select default_branch, source from raw.repositories").fetchall() == [("trunk", "git")]
    assert con.execute("select count(*) from raw.commits").fetchone() == (0,)

    (path / "a.txt").write_text("a\n")
    first = commit(path, "first", date="2024-05-01T00:00:00+00:00")
    report = ingest(con, path, repo="acme/empty", run_id="run-2")
    assert (report.commits_inserted, report.full_walk) == (1, True)
    assert list(commits(con, "acme/empty")) == [first]


def test_a_path_that_is_not_a_repository_is_a_clear_error(con, repo, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitSourceError, match="not a git repository") as error:
        ingest(con, plain)
    assert str(plain) in str(error.value)

    with pytest.raises(GitSourceError, match="does not exist") as error:
        ingest(con, tmp_path / "missing")
    assert str(tmp_path / "missing") in str(error.value)

    # A folder inside a clone is not that clone.
    path, _ = repo
    with pytest.raises(GitSourceError, match="not a git repository"):
        ingest(con, path / "lib")
    # Nothing is written before the path is checked.
    assert con.execute("select count(*) from information_schema.tables "
                       "where table_schema = 'raw'").fetchone() == (0,)


def test_small_batches_write_the_same_rows(con, repo, caplog):
    path, s = repo
    caplog.set_level("INFO", logger="pipelines.sources.git")
    report = ingest(con, path, refs=["wip"], batch_size=2)

    assert (report.commits_inserted, report.files_inserted) == (6, 7)
    assert {k: v for k, v in commits(con).items() if k != s["c6"]} == expected_commits(s)
    assert files(con) == expected_files(s) | {(s["c6"], "wip.txt", "added", 1, 0)}
    # Upserted in three batches of two commits, each logged as progress.
    progress = [r.getMessage() for r in caplog.records if "commits read" in r.getMessage()]
    assert [m.split(": ")[1].split(" ")[0] for m in progress] == ["2", "4", "6"]


def test_git_rows_do_not_erase_what_the_github_source_stored(con, repo):
    path, s = repo
    ensure_raw_schema(con)
    upsert(con, "repositories", pa.table({"repository": ["acme/widget"], "github_id": [99],
                                          "default_branch": ["main"], "source": ["github"]}), "gh")
    upsert(con, "commits", pa.table({
        "repository": ["acme/widget"], "sha": [s["c2"]], "author_user_id": [12345],
        "author_login": ["bob"], "authored_at": [datetime(2024, 3, 5, 13, 15)],
    }), "gh")

    ingest(con, path)

    assert con.execute("select github_id, source from raw.repositories").fetchall() == [(99, "github")]
    row = commits(con)[s["c2"]]
    assert (row["author_user_id"], row["author_login"]) == (12345, "bob")
    assert row["author_email"] == "12345+bob@users.noreply.github.com"
    assert row["author_utc_offset_minutes"] == -300


@pytest.mark.parametrize("text, minutes", [
    ("+0100", 60), ("-0500", -300), ("+0530", 330), ("+0000", 0), ("-0000", 0), ("+1400", 840),
    ("-1200", -720), ("+51800", None), ("+1500", None), ("+0160", None), ("0100", None), ("", None),
])
def test_parse_utc_offset(text, minutes):
    assert parse_utc_offset(text) == minutes


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 16])
def test_tokens_are_split_the_same_whatever_the_read_size(chunk_size):
    data = b"\x1eM\0abc\0\0\nline\0" + b"x" * 50 + b"\0tail"
    assert list(_tokens(io.BytesIO(data), chunk_size)) == [b"\x1eM", b"abc", b"", b"\nline", b"x" * 50, b"tail"]


def test_the_git_asset_ingests_through_dagster(repo, tmp_path):
    """The `ingest/git` asset in a real run: the history lands in raw.commits and the run's metadata."""
    import dagster as dg

    from pipelines.config import load_config
    from pipelines.context import DevLens
    from pipelines.runner import Runner

    path, shas = repo
    config = tmp_path / "devlens.yaml"
    config.write_text(
        "calendar: {start: 2024-01-01}\n"
        f"warehouse: {{path: {tmp_path / 'warehouse.duckdb'}, serving_dir: {tmp_path / 'serving'}}}\n"
        "workspaces:\n"
        "  - id: acme\n"
        f"    sources: [{{git: {{path: {path}, repo: Acme/Widget}}}}]\n"
    )
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        summary = Runner(DevLens(load_config(config)), instance).ingest()
        git_mat = instance.fetch_materializations(dg.AssetKey(["ingest", "git"]), limit=1).records[0]
    assert git_mat.run_id == summary.run_id
    assert git_mat.asset_materialization.metadata["commits_inserted"].value == 5  # c1..c5; c6 is on wip
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    got = {r[0] for r in con.execute("select sha from raw.commits where repository = 'acme/widget'").fetchall()}
    con.close()
    assert got == {shas[k] for k in ("c1", "c2", "c3", "c4", "c5")}
