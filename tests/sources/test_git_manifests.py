"""The git source's dependency manifests (raw.file_contents), from real repositories built with git.

History of the shop repository (times UTC; R = requirements.txt):

  main     c1 01-02  add package.json (react ^17.0.2, vite ~4.5.0 dev), R (requests 2.28.0, flask 2.0.1),
                     go.mod (gin v1.8.0); README.md and docs/requirements.md are no manifests
           c2 01-09  R: flask 2.3.0; README.md
           c3 01-16  package.json: react ^18.2.0
  feature  f1 01-17  R: requests 2.31.0                                   (from c3)
  main     c4 01-18  delete go.mod; R: flask 3.0.0
           m1 01-20  merge feature; the merge also adds click==8.1.7 to R
  wip      w1 01-22  package.json: react ^19.0.0                         (from m1; a configured ref)
  spike    s1 01-23  add Cargo.toml                                      (from m1; never ingested)
  main     c5 01-25  rename R to requirements-prod.txt; add svc/go.mod (gin v1.9.1)
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

import pipelines.sources.git as git_source
from pipelines.config import GitRef
from pipelines.modeling.project import DEFAULT_MODELS_DIR
from pipelines.modeling.render import make_environment
from pipelines.sources.git import ingest_git
from pipelines.sources.manifests import (MANIFEST_RULES, decode_manifest, manifest_ecosystem,
                                         manifest_pathspecs)
from tests.analyzers.helpers import build, rows
from tests.metrics.builders import config, shared_warehouse
from tests.sources.test_git_source import commit, git, isolated_git  # noqa: F401 (a fixture)

REPO = "acme/shop"

P1 = '{"dependencies": {"react": "^17.0.2"}, "devDependencies": {"vite": "~4.5.0"}}\n'
P2 = '{"dependencies": {"react": "^18.2.0"}, "devDependencies": {"vite": "~4.5.0"}}\n'
PW = '{"dependencies": {"react": "^19.0.0"}, "devDependencies": {"vite": "~4.5.0"}}\n'
# A line between the two pins, so feature's and main's edits merge cleanly.
R1 = "requests==2.28.0\n# web\nflask==2.0.1\n"
R2 = "requests==2.28.0\n# web\nflask==2.3.0\n"
RF = "requests==2.31.0\n# web\nflask==2.3.0\n"
R4 = "requests==2.28.0\n# web\nflask==3.0.0\n"
RM = "requests==2.31.0\n# web\nflask==3.0.0\nclick==8.1.7\n"
G1 = "module example.com/shop\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.8.0\n"
G2 = "module example.com/shop/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n)\n"
CARGO = '[package]\nname = "spike"\n\n[dependencies]\nserde = "1.0"\n'


def at(day: str) -> str:
    return f"2024-{day}T10:00:00+00:00"


def build_shop(root: Path) -> dict[str, str]:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    s: dict[str, str] = {}
    (root / "package.json").write_text(P1)
    (root / "requirements.txt").write_text(R1)
    (root / "go.mod").write_text(G1)
    (root / "README.md").write_text("# Shop\n")
    (root / "docs").mkdir()
    (root / "docs" / "requirements.md").write_text("We need requests.\n")
    s["c1"] = commit(root, "Initial import", date=at("01-02"))
    (root / "requirements.txt").write_text(R2)
    (root / "README.md").write_text("# Shop\nSells things.\n")
    s["c2"] = commit(root, "Upgrade flask", date=at("01-09"))
    (root / "package.json").write_text(P2)
    s["c3"] = commit(root, "Upgrade react", date=at("01-16"))

    git(root, "checkout", "-q", "-b", "feature")
    (root / "requirements.txt").write_text(RF)
    s["f1"] = commit(root, "Upgrade requests", date=at("01-17"))
    git(root, "checkout", "-q", "main")
    (root / "go.mod").unlink()
    (root / "requirements.txt").write_text(R4)
    s["c4"] = commit(root, "Drop the go module, flask 3", date=at("01-18"))
    git(root, "merge", "-q", "--no-ff", "--no-commit", "feature", date=at("01-20"))
    assert (root / "requirements.txt").read_text() == "requests==2.31.0\n# web\nflask==3.0.0\n"
    (root / "requirements.txt").write_text(RM)
    s["m1"] = commit(root, "Merge branch 'feature'", date=at("01-20"))

    git(root, "checkout", "-q", "-b", "wip")
    (root / "package.json").write_text(PW)
    s["w1"] = commit(root, "Try react 19", date=at("01-22"))
    git(root, "checkout", "-q", "-b", "spike", "main")
    (root / "Cargo.toml").write_text(CARGO)
    s["s1"] = commit(root, "Spike in rust", date=at("01-23"))

    git(root, "checkout", "-q", "main")
    git(root, "mv", "requirements.txt", "requirements-prod.txt")
    (root / "svc").mkdir()
    (root / "svc" / "go.mod").write_text(G2)
    s["c5"] = commit(root, "Rename requirements, add the svc module", date=at("01-25"))
    return s


@pytest.fixture
def shop(tmp_path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "shop"
    return root, build_shop(root)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def ingest(con, path, refs=("wip",), run_id="run-1", workspace="ws1", **kw):
    return ingest_git(con, GitRef(path=str(path), repo=REPO, refs=list(refs)), workspace, run_id=run_id, **kw)


def contents(con, repository=REPO) -> set[tuple]:
    return set(con.execute(
        "select sha, path, committed_at, on_default_branch, content from raw.file_contents "
        "where repository = ?", [repository]).fetchall())


def expected(s: dict[str, str]) -> set[tuple]:
    def row(key, path, day, content, default=True):
        return (s[key], path, datetime.fromisoformat(f"2024-{day} 10:00"), default, content)

    return {
        row("c1", "package.json", "01-02", P1),
        row("c1", "requirements.txt", "01-02", R1),
        row("c1", "go.mod", "01-02", G1),
        row("c2", "requirements.txt", "01-09", R2),
        row("c3", "package.json", "01-16", P2),
        # merged into main by m1: on the default branch
        row("f1", "requirements.txt", "01-17", RF),
        row("c4", "go.mod", "01-18", None),  # deleted
        row("c4", "requirements.txt", "01-18", R4),
        # The merge differs from c4 in requirements.txt and from f1 in both files.
        row("m1", "requirements.txt", "01-20", RM),
        row("m1", "go.mod", "01-20", None),
        row("w1", "package.json", "01-22", PW, default=False),
        # a rename: the old path ends, the new one starts with the same text
        row("c5", "requirements.txt", "01-25", None),
        row("c5", "requirements-prod.txt", "01-25", RM),
        row("c5", "svc/go.mod", "01-25", G2),
    }


def test_every_manifest_change_of_every_ingested_commit_is_stored(con, shop):
    path, s = shop
    report = ingest(con, path)

    assert contents(con) == expected(s)
    assert (report.manifests_seen, report.manifests_inserted, report.manifests_updated) == (14, 14, 0)
    assert report.warnings == []
    assert report.commits_seen == 8  # c1-c5, f1, m1, w1; not the spike
    # The merge still has no commit_files rows: only its manifests were diffed.
    assert con.execute("select count(*) from raw.commit_files where sha = ?", [s["m1"]]).fetchone() == (0,)
    logged = con.execute("select entity_key, change, event_times from raw.change_log "
                         "where entity = 'file_contents'").fetchall()
    assert sorted(logged) == sorted((f"{REPO}/{p}/{sha}", "insert", [t]) for sha, p, t, _, _ in expected(s))


def test_without_refs_only_the_default_branch_is_read(con, shop):
    path, s = shop
    ingest(con, path, refs=())
    assert contents(con) == {r for r in expected(s) if r[0] != s["w1"]}


def test_a_rerun_and_a_full_rewalk_write_identical_rows(con, shop):
    path, s = shop
    ingest(con, path, run_id="run-1")
    before = contents(con)
    log_size = con.execute("select count(*) from raw.change_log").fetchone()

    again = ingest(con, path, run_id="run-2")  # incremental: nothing new
    assert (again.full_walk, again.commits_seen, again.manifests_seen) == (False, 0, 0)

    con.execute("delete from raw.ingest_cursors")
    rewalk = ingest(con, path, run_id="run-3")  # everything read again
    assert rewalk.full_walk
    assert (rewalk.manifests_seen, rewalk.manifests_inserted, rewalk.manifests_updated) == (14, 0, 0)
    assert contents(con) == before
    assert con.execute("select count(*) from raw.change_log").fetchone() == log_size


def test_an_incremental_run_reads_only_the_new_commits_manifests(con, shop):
    path, s = shop
    ingest(con, path, run_id="run-1")
    (path / "package.json").write_text(P2.replace("~4.5.0", "~5.0.0"))
    (path / "rust").mkdir()
    (path / "rust" / "Cargo.toml").write_text(CARGO)
    (path / "notes.txt").write_text("not a manifest\n")
    new = commit(path, "Vite 5 and a crate", date=at("02-01"))
    (path / "notes.txt").write_text("still not a manifest\n")
    other = commit(path, "Notes", date=at("02-02"))

    report = ingest(con, path, run_id="run-2")

    assert not report.full_walk
    assert (report.commits_seen, report.manifests_seen, report.manifests_inserted) == (2, 2, 2)
    assert contents(con) - expected(s) == {
        (new, "package.json", datetime(2024, 2, 1, 10), True, P2.replace("~4.5.0", "~5.0.0")),
        (new, "rust/Cargo.toml", datetime(2024, 2, 1, 10), True, CARGO),
    }
    assert other not in {r[0] for r in contents(con)}
    assert con.execute("select entity_key from raw.change_log where run_id = 'run-2' "
                       "and entity = 'file_contents' order by 1").fetchall() == [
        (f"{REPO}/package.json/{new}",), (f"{REPO}/rust/Cargo.toml/{new}",)]


def test_a_branch_merged_after_the_last_run_moves_its_manifests_to_the_default_branch(con, shop):
    path, s = shop
    ingest(con, path, run_id="run-1")
    git(path, "merge", "-q", "--no-ff", "wip", "-m", "Merge wip", date=at("01-26"))
    merge = git(path, "rev-parse", "HEAD")

    report = ingest(con, path, run_id="run-2")

    assert not report.full_walk
    merged = datetime(2024, 1, 26, 10)
    assert contents(con) - expected(s) == {
        (s["w1"], "package.json", datetime(2024, 1, 22, 10), True, PW),  # was off the default branch
        (merge, "package.json", merged, True, PW),  # differs from c5's
        # ... and these from w1's, which has neither c5's rename nor its go module
        (merge, "requirements.txt", merged, True, None),
        (merge, "requirements-prod.txt", merged, True, RM),
        (merge, "svc/go.mod", merged, True, G2),
    }
    assert (report.manifests_inserted, report.manifests_updated) == (4, 1)


def test_a_crash_mid_run_loses_nothing(con, shop, monkeypatch):
    path, s = shop
    real_upsert = git_source.upsert
    calls = {"file_contents": 0}

    def failing_upsert(con, table, rows, run_id):
        if table == "file_contents" and rows.num_rows:
            calls["file_contents"] += 1
            if calls["file_contents"] == 3:
                raise RuntimeError("disk full")
        return real_upsert(con, table, rows, run_id)

    monkeypatch.setattr(git_source, "upsert", failing_upsert)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(con, path, batch_size=1)
    assert 0 < len(contents(con)) < 14
    # The cursor did not move: the next run walks the whole history again.
    assert con.execute("select count(*) from raw.ingest_cursors").fetchone() == (0,)

    monkeypatch.setattr(git_source, "upsert", real_upsert)
    report = ingest(con, path, run_id="run-2", batch_size=1)
    assert report.full_walk
    assert contents(con) == expected(s)


def test_a_cursor_written_before_manifests_were_read_triggers_one_full_walk(con, shop):
    path, s = shop
    ingest(con, path)
    con.execute("delete from raw.file_contents")
    cursor = json.loads(con.execute("select cursor_value from raw.ingest_cursors").fetchone()[0])
    assert cursor == {"head": s["c5"], "refs": {"wip": s["w1"]}, "manifest_rules": [
        "pip:requirements*.txt:i", "pip:pyproject.toml:i", "npm:package.json:i", "go:go.mod",
        "cargo:Cargo.toml:i"]}
    del cursor["manifest_rules"]  # as the git source wrote it before it read manifests
    con.execute("update raw.ingest_cursors set cursor_value = ?", [json.dumps(cursor)])

    report = ingest(con, path, run_id="run-2")
    assert report.full_walk and (report.commits_inserted, report.commits_updated) == (0, 0)
    assert contents(con) == expected(s)
    assert not ingest(con, path, run_id="run-3").full_walk


def test_large_binary_encoded_and_linked_manifests(con, tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "package.json").write_text('{"dependencies": {"left-pad": "1.3.0"}, "x": "' + "y" * 200 + '"}')
    (root / "requirements.txt").write_bytes("requests==2.31.0\n".encode("utf-16"))  # PowerShell's pip freeze
    (root / "pyproject.toml").write_bytes(b"\xef\xbb\xbf[project]\ndependencies = ['httpx']\n")
    (root / "requirements-bin.txt").write_bytes(b"\x00\x01\x02 not text")
    (root / "config").mkdir()
    (root / "config" / "base.toml").write_text('[dependencies]\nserde = "1.0"\n')
    (root / "rust").mkdir()
    os.symlink("../config/base.toml", root / "rust" / "Cargo.toml")
    (root / "outside").mkdir()
    os.symlink("/etc/hostname", root / "outside" / "Cargo.toml")
    (root / "dangling").mkdir()
    os.symlink("nowhere.json", root / "dangling" / "package.json")
    sha = commit(root, "Odd files", date=at("03-01"))

    report = ingest_git(con, GitRef(path=str(root), repo="acme/odd"), "ws1", run_id="r",
                        max_content_bytes=128)

    got = {path: content for _, path, _, _, content in contents(con, "acme/odd")}
    assert got == {
        "package.json": None,  # over the limit
        "requirements.txt": "requests==2.31.0\n",
        "pyproject.toml": "[project]\ndependencies = ['httpx']\n",
        "requirements-bin.txt": None,
        "rust/Cargo.toml": '[dependencies]\nserde = "1.0"\n',  # followed inside the tree
        "outside/Cargo.toml": None,
        "dangling/package.json": None,
    }
    assert report.warnings_total == 4
    warnings = {w.split("'")[1]: w for w in report.warnings}
    assert set(warnings) == {"package.json", "requirements-bin.txt", "outside/Cargo.toml", "dangling/package.json"}
    assert "over the 128-byte limit" in warnings["package.json"] and sha in warnings["package.json"]
    assert "binary" in warnings["requirements-bin.txt"]
    assert "out of the repository" in warnings["outside/Cargo.toml"]
    assert "to nothing" in warnings["dangling/package.json"]
    assert report.commits_inserted == 1


# ---------------------------------------------------------------- path rules

def _variants() -> list[str]:
    """Each rule's name with each letter in upper case and swapped for characters some regex
    engines fold with ASCII letters, at the top and below folders."""
    out = []
    for rule in MANIFEST_RULES:
        name = rule.name.replace("*", "-dev")
        out += [name, name.upper(), name.lower(), f"a/b/{name}", f"{name}.bak", f"x{name}", f"{name}/x"]
        for i, char in enumerate(name):
            if char.isalpha():
                for other in (char.swapcase(), "\u017f", "\u212a", "\u0131", "\u0130", "\u00e5"):
                    out.append(name[:i] + other + name[i + 1:])
    return out


SAMPLE_PATHS = [
    "requirements.txt", "requirements-dev.txt", "REQUIREMENTS.TXT", "sub/requirements_test.txt",
    "requirements.txt.bak", "requirements/base.txt", "docs/requirements.md", "myrequirements.txt",
    "requirements", "requirements.txtx", "a/b/c/requirements-ci.txt", "requirements.in",
    "pyproject.toml", "PyProject.TOML", "a/pyproject.toml.orig", "pyproject.toml/setup.py",
    "package.json", "web/Package.JSON", "package-lock.json", "package.json5", "node_modules/x/package.json",
    "go.mod", "svc/go.mod", "Go.mod", "go.MOD", "go.sum", "vendor/go.mod",
    "Cargo.toml", "crates/x/cargo.toml", "Cargo.lock", "CARGO.TOML",
    "package.json\n", "a\nrequirements.txt", "requirements\n.txt", "dir/é/package.json", "naïve/go.mod",
    "", "/", "a//package.json", " package.json", "package .json", "setup.py", "Pipfile",
] + _variants()


def test_python_rules_agree_with_the_sql_macro():
    env = make_environment(DEFAULT_MODELS_DIR / "macros")
    expr = str(env.globals["manifest_ecosystem"]("t.path"))
    sql = duckdb.connect().execute(
        f"select t.path, {expr} from unnest(?::varchar[]) as t(path)", [SAMPLE_PATHS]).fetchall()
    assert len(sql) == len(SAMPLE_PATHS)
    disagree = [(path, eco, manifest_ecosystem(path)) for path, eco in sql if manifest_ecosystem(path) != eco]
    assert disagree == []
    # The table exercises every rule and plenty of near misses.
    found = {eco for _, eco in sql}
    assert found == {"pip", "npm", "go", "cargo", None}
    assert sum(eco is None for _, eco in sql) > 50


def test_the_git_pathspecs_select_every_manifest(tmp_path):
    """The merge pass's pathspecs must not miss a manifest (they may select more)."""
    root = tmp_path / "names"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    names = sorted({p for p in SAMPLE_PATHS if p and not p.endswith("/") and "//" not in p
                    and not any(part in ("", ".", "..") for part in p.split("/"))})
    placed = []
    for name in names:
        target = root / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("x\n")
            placed.append(name)
        except OSError:  # a name that is also a folder of another sample
            continue
    commit(root, "names", date=at("03-01"))
    listed = set(git(root, "-c", "core.quotePath=false", "ls-files", "-z", "--", *manifest_pathspecs())
                 .split("\0"))
    manifests = {p for p in placed if manifest_ecosystem(p)}
    assert len(manifests) > 30
    assert manifests <= listed


def test_decode_manifest():
    assert decode_manifest("a==1\n".encode("utf-16-be")) == (None, "binary content (a NUL byte)")  # no BOM
    assert decode_manifest(b"\xfe\xff" + "a==1\n".encode("utf-16-be")) == ("a==1\n", None)
    assert decode_manifest(b"\xff\xfe\x00\x00" + "a\n".encode("utf-32-le")) == ("a\n", None)
    assert decode_manifest(b"flask\xff==1\n") == ("flask\ufffd==1\n", None)
    assert decode_manifest(b"") == ("", None)


# ---------------------------------------------------------------- end to end

def test_technology_versions_from_git_sourced_manifests(tmp_path_factory, tmp_path):
    """Weekly, as of each period end: the latest default-branch version of each manifest."""
    root = tmp_path / "shop"
    build_shop(root)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    git(legacy, "init", "-q", "-b", "trunk")
    (legacy / "package.json").write_text('{"dependencies": {"react": "^16.14.0"}}')
    commit(legacy, "Legacy app", date=at("01-03"))
    with shared_warehouse(tmp_path_factory, config()) as wh:
        ingest_git(wh.con, GitRef(path=str(root), repo=REPO, refs=["wip"]), "acme", run_id="git")
        ingest_git(wh.con, GitRef(path=str(legacy), repo="acme/legacy"), "acme", run_id="git")
        build(wh, "weekly", date(2024, 1, 1), date(2024, 2, 5), "technology_versions")

        def week(start, repository=REPO):
            return {(r["path"], r["package"]): (r["dependency_type"], r["version"], r["status"])
                    for r in rows(wh, "weekly.technology_versions", period_start=start, repository=repository)}

        assert week(date(2024, 1, 1)) == {
            ("package.json", "react"): ("runtime", "17.0.2", "current"),
            ("package.json", "vite"): ("dev", "4.5.0", "current"),
            ("requirements.txt", "requests"): ("runtime", "2.28.0", "current"),
            ("requirements.txt", "flask"): ("runtime", "2.0.1", "current"),
            ("go.mod", "github.com/gin-gonic/gin"): ("runtime", "1.8.0", "current"),
        }
        assert week(date(2024, 1, 8))[("requirements.txt", "flask")] == ("runtime", "2.3.0", "current")
        # As of 01-22: react 18 (c3), go.mod deleted (c4), the merge's requirements (m1);
        # react 19 is only on the wip branch.
        assert week(date(2024, 1, 15)) == {
            ("package.json", "react"): ("runtime", "18.2.0", "current"),
            ("package.json", "vite"): ("dev", "4.5.0", "current"),
            ("requirements.txt", "requests"): ("runtime", "2.31.0", "current"),
            ("requirements.txt", "flask"): ("runtime", "3.0.0", "current"),
            ("requirements.txt", "click"): ("runtime", "8.1.7", "current"),
        }
        # As of 01-29: requirements.txt renamed, a new go module with a newer gin.
        assert week(date(2024, 1, 22)) == {
            ("package.json", "react"): ("runtime", "18.2.0", "current"),
            ("package.json", "vite"): ("dev", "4.5.0", "current"),
            ("requirements-prod.txt", "requests"): ("runtime", "2.31.0", "current"),
            ("requirements-prod.txt", "flask"): ("runtime", "3.0.0", "current"),
            ("requirements-prod.txt", "click"): ("runtime", "8.1.7", "current"),
            ("svc/go.mod", "github.com/gin-gonic/gin"): ("runtime", "1.9.1", "current"),
        }
        assert week(date(2024, 1, 29)) == week(date(2024, 1, 22))
        # Against the newest react declared on a default branch of the workspace by then.
        assert [week(date(2024, 1, d), "acme/legacy") for d in (1, 15)] == [
            {("package.json", "react"): ("runtime", "16.14.0", "outdated")},
            {("package.json", "react"): ("runtime", "16.14.0", "deprecated")},
        ]
