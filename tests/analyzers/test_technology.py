"""Technology tracker (METRICS.md §7; docs/metrics.md "Technology tracker"), as of each period end.

Default-branch manifests (raw.file_contents):
  acme/api     requirements.txt  01-01  requests==2.31.0, flask>=3.0, numpy==1.26.4
                                 03-06  numpy==2.0.0 (the others unchanged)
  acme/legacy  requirements.txt  01-01  requests==2.20.0, flask==1.1.2, numpy==1.26.4
                                 03-05  flask 3.1 on a PR branch: not the default branch, ignored
  acme/web     package.json      01-01  react ^18.2.0 (runtime), vite ~5.0.0 (dev)
  acme/svc     go.mod            01-01  gin v1.9.1; golang.org/x/sys v0.15.0 // indirect (left out)
  acme/core    Cargo.toml        01-01  serde { version = "1.0.190" } (runtime), tokio "1.35" (dev)
                                 03-07  deleted (no content)
Week of 02-26 (as of 03-04): latest requests 2.31.0, flask 3.0, numpy 1.26.4.
  legacy requests 2.20.0: same major -> recent; legacy flask 1.1.2: 3 - 1 = 2 majors -> deprecated.
  workspace: 8 packages; worst status current 6 (numpy, react, vite, gin, serde, tokio), recent 1
  (requests), deprecated 1 (flask) -> adoption (6 + 0.5) / 8 = 0.8125
Week of 03-04 (as of 03-11): numpy's latest is 2.0.0, so legacy's 1.26.4 is one major behind -> outdated;
  core's manifest is gone. 6 packages: current 3, recent 1, outdated 1, deprecated 1 -> 3.5 / 6.
  Suggestions, most urgent first: flask 1.1.2 -> 3.0 (high, acme/legacy), numpy 1.26.4 -> 2.0.0
  (medium), requests 2.20.0 -> 2.31.0 (low).
alice committed to acme/legacy in the week of 03-04 (03-05), nowhere else: her technologies that week are
  legacy's: requests recent, flask deprecated, numpy outdated (as of 03-11) -> adoption 0.5 / 3; she has
  no row the week before. Team platform = alice.
"""

from datetime import date, datetime, timedelta

import pytest

from tests.analyzers.helpers import build, rows, table
from tests.metrics.builders import commit, config, shared_warehouse

CONFIG = config(teams={"platform": ["alice"]})
PREVIOUS, WEEK = date(2024, 2, 26), date(2024, 3, 4)


def content(repo, path, sha, committed, text, default=True):
    return dict(repository=repo, path=path, sha=sha, committed_at=datetime.fromisoformat(committed),
                on_default_branch=default, content=text)


def load(wh):
    for repo in ("acme/api", "acme/legacy", "acme/web", "acme/svc", "acme/core"):
        wh.repo(repo)
    wh.add("commits", [commit("x1", "alice", "2024-03-05 10:00", repo="acme/legacy")])
    wh.add("file_contents", [
        content("acme/api", "requirements.txt", "a1", "2024-01-01 00:00",
                "requests==2.31.0\nflask>=3.0\nnumpy==1.26.4\n"),
        content("acme/api", "requirements.txt", "a2", "2024-03-06 12:00",
                "requests==2.31.0\nflask>=3.0\nnumpy==2.0.0\n"),
        content("acme/legacy", "requirements.txt", "g1", "2024-01-01 00:00",
                "requests==2.20.0\nflask==1.1.2\nnumpy==1.26.4  # same as api\n"),
        content("acme/legacy", "requirements.txt", "g2", "2024-03-05 00:00",
                "requests==2.20.0\nflask==3.1\nnumpy==1.26.4\n", default=False),
        content("acme/web", "package.json", "w1", "2024-01-01 00:00",
                '{"dependencies": {"react": "^18.2.0"}, "devDependencies": {"vite": "~5.0.0"}}'),
        content("acme/svc", "go.mod", "s1", "2024-01-01 00:00",
                "module example.com/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n"
                "\tgolang.org/x/sys v0.15.0 // indirect\n)\n"),
        content("acme/core", "Cargo.toml", "c1", "2024-01-01 00:00",
                '[package]\nname = "core"\n\n[dependencies]\nserde = { version = "1.0.190", features = ["derive"] }\n'
                '\n[dev-dependencies]\ntokio = "1.35"\n'),
        content("acme/core", "Cargo.toml", "c2", "2024-03-07 00:00", None),
    ])


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        load(wh)
        build(wh, "weekly", PREVIOUS, date(2024, 3, 11), "technology_versions", "technology_summary")
        yield wh


def versions(wh, start):
    return {(r["repository"], r["package"]): r for r in rows(wh, "weekly.technology_versions", period_start=start)}


def test_manifests_parsed_as_of_the_period_end(wh):
    before = versions(wh, PREVIOUS)
    assert set(before) == {
        ("acme/api", "requests"), ("acme/api", "flask"), ("acme/api", "numpy"),
        ("acme/legacy", "requests"), ("acme/legacy", "flask"), ("acme/legacy", "numpy"),
        ("acme/web", "react"), ("acme/web", "vite"), ("acme/svc", "github.com/gin-gonic/gin"),
        ("acme/core", "serde"), ("acme/core", "tokio")}
    assert (before[("acme/web", "vite")]["dependency_type"], before[("acme/web", "vite")]["version"]) == ("dev", "5.0.0")
    gin = before[("acme/svc", "github.com/gin-gonic/gin")]
    assert (gin["ecosystem"], gin["version_spec"], gin["version"], gin["status"]) == ("go", "v1.9.1", "1.9.1", "current")
    assert (before[("acme/core", "serde")]["version"], before[("acme/core", "tokio")]["dependency_type"]) == ("1.0.190", "dev")
    assert {k: r["status"] for k, r in before.items() if k[0] == "acme/legacy"} == {
        ("acme/legacy", "requests"): "recent", ("acme/legacy", "flask"): "deprecated", ("acme/legacy", "numpy"): "current"}
    assert before[("acme/legacy", "flask")]["majors_behind"] == 2
    after = versions(wh, WEEK)
    assert after[("acme/api", "numpy")]["version"] == "2.0.0"
    assert (after[("acme/legacy", "numpy")]["status"], after[("acme/legacy", "numpy")]["latest_version"]) == ("outdated", "2.0.0")
    assert after[("acme/legacy", "flask")]["version"] == "1.1.2"  # the PR-branch version is not the default branch's
    assert not any(repo == "acme/core" for repo, _ in after)       # deleted on 03-07


def summary(wh, group_type, group_id, start=WEEK):
    return rows(wh, "weekly.technology_summary", group_type=group_type, group_id=group_id, period_start=start)[0]


def test_workspace_summary_and_suggestions(wh):
    before = summary(wh, "workspace", "acme", PREVIOUS)
    assert (len(before["technologies"]), before["current_count"], before["recent_count"], before["outdated_count"],
            before["deprecated_count"]) == (8, 6, 1, 0, 1)
    assert before["adoption_score"] == pytest.approx(0.8125)
    now = summary(wh, "workspace", "acme")
    assert (now["technologies_count"], now["current_count"], now["recent_count"], now["outdated_count"],
            now["deprecated_count"]) == (6, 3, 1, 1, 1)
    assert now["adoption_score"] == pytest.approx(3.5 / 6)
    assert [(s["name"], s["current_version"], s["suggested_version"], s["priority"], s["repositories"])
            for s in now["upgrade_suggestions"]] == [
        ("flask", "1.1.2", "3.0", "high", ["acme/legacy"]),
        ("numpy", "1.26.4", "2.0.0", "medium", ["acme/legacy"]),
        ("requests", "2.20.0", "2.31.0", "low", ["acme/legacy"])]
    numpy = next(t for t in now["technologies"] if t["name"] == "numpy")
    assert (numpy["versions"], numpy["status"], numpy["repositories"]) == (
        ["1.26.4", "2.0.0"], "outdated", ["acme/api", "acme/legacy"])


def test_developer_and_team_scopes(wh):
    alice = summary(wh, "developer", "alice")
    assert [(t["name"], t["status"]) for t in alice["technologies"]] == [
        ("flask", "deprecated"), ("numpy", "outdated"), ("requests", "recent")]
    assert alice["adoption_score"] == pytest.approx(0.5 / 3)
    team = summary(wh, "team", "platform")
    assert team["technologies"] == alice["technologies"]
    assert rows(wh, "weekly.technology_summary", group_type="developer", period_start=PREVIOUS) == []


def test_single_run_and_per_partition_runs_give_identical_rows(tmp_path_factory):
    weeks = [date(2024, 2, 19) + timedelta(days=7 * k) for k in range(3)]
    with shared_warehouse(tmp_path_factory, CONFIG) as single, shared_warehouse(tmp_path_factory, CONFIG) as split:
        for wh in (single, split):
            load(wh)
        build(single, "weekly", weeks[0], weeks[-1] + timedelta(days=7), "technology_summary")
        for i, week in enumerate(reversed(weeks)):
            build(split, "weekly", week, week + timedelta(days=7), "technology_summary", staging=i == 0)
        for relation in ("weekly.technology_versions", "weekly.technology_summary"):
            assert table(single, relation) == table(split, relation), relation


PYPROJECT = """[project]
name = "x"
dependencies = [
  "requests[socks]>=2.31,<3; python_version>'3.8'",
  'httpx==0.27.0',
  "Flask_Login",
]
[project.optional-dependencies]
dev = ["pytest>=8", "ruff"]
[tool.poetry.dependencies]
python = "^3.11"
Django = "^5.0"
[tool.poetry.group.dev.dependencies]
black = {version = "^24.1", optional = true}
[dependency-groups]
lint = ["mypy>=1.9"]
"""
CARGO = """[package]
name = "x"
[dependencies]
tokio = "1.37"
local = { path = "../local" }

[dependencies.reqwest]
version = "0.12.4"
[target.'cfg(unix)'.dependencies]
nix = "0.28"
[build-dependencies]
cc = "1.0"
"""
REQUIREMENTS = """-r base.txt
# a comment
numpy==1.26.4  # pinned
pandas>=2.0
git+https://github.com/x/y.git#egg=y
foo @ https://example.com/foo.whl
--hash=sha256:abc
"""


def test_manifest_formats(tmp_path_factory):
    """Every format's sections (docs/metrics.md "Technology tracker"): PEP 621 arrays with extras and markers,
    optional and PEP 735 groups, Poetry tables (python left out), Cargo plain, inline, sub-table, target and
    build dependencies, requirements options and URLs, go.mod single-line requires."""
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        wh.repo("acme/x")
        wh.add("file_contents", [
            content("acme/x", "pyproject.toml", "p", "2024-01-01 00:00", PYPROJECT),
            content("acme/x", "rust/Cargo.toml", "c", "2024-01-01 00:00", CARGO),
            content("acme/x", "requirements-dev.txt", "r", "2024-01-01 00:00", REQUIREMENTS),
            content("acme/x", "go.mod", "g", "2024-01-01 00:00", "module m\n\ngo 1.22\nrequire github.com/pkg/errors v0.9.1\n"),
            content("acme/x", "web/package.json", "w", "2024-01-01 00:00", "{not json"),
        ])
        build(wh, "weekly", WEEK, date(2024, 3, 11), "technology_versions")
        got = {(r["path"], r["package"], r["dependency_type"], r["version_spec"], r["version"])
               for r in rows(wh, "weekly.technology_versions")}
        assert got == {
            ("pyproject.toml", "requests", "runtime", ">=2.31,<3", "2.31"),
            ("pyproject.toml", "httpx", "runtime", "==0.27.0", "0.27.0"),
            ("pyproject.toml", "flask-login", "runtime", None, None),
            ("pyproject.toml", "pytest", "optional", ">=8", "8"),
            ("pyproject.toml", "ruff", "optional", None, None),
            ("pyproject.toml", "django", "runtime", "^5.0", "5.0"),
            ("pyproject.toml", "black", "dev", "^24.1", "24.1"),
            ("pyproject.toml", "mypy", "dev", ">=1.9", "1.9"),
            ("rust/Cargo.toml", "tokio", "runtime", "1.37", "1.37"),
            ("rust/Cargo.toml", "local", "runtime", None, None),
            ("rust/Cargo.toml", "reqwest", "runtime", "0.12.4", "0.12.4"),
            ("rust/Cargo.toml", "nix", "runtime", "0.28", "0.28"),
            ("rust/Cargo.toml", "cc", "build", "1.0", "1.0"),
            ("requirements-dev.txt", "numpy", "runtime", "==1.26.4", "1.26.4"),
            ("requirements-dev.txt", "pandas", "runtime", ">=2.0", "2.0"),
            ("requirements-dev.txt", "foo", "runtime", None, None),
            ("go.mod", "github.com/pkg/errors", "runtime", "v0.9.1", "0.9.1"),
        }
        # an unpinned requirement floats to the newest: current
        assert {r["status"] for r in rows(wh, "weekly.technology_versions", package="ruff")} == {"current"}
