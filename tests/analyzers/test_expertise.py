"""Expertise with confidence (METRICS.md §7; docs/metrics.md "Expertise"), as of the period end.

Week of Mon 2024-07-01; as of its end E = 2024-07-08 00:00 UTC. Each evidence commit weighs
w = 0.5 ** (age_days / 180), age from its authored_at to E:
  proficiency = 100 (1 - exp(-sum(w * lines) / 2000)); confidence = 1 - exp(-sum(w) / 10);
  recency_factor = 0.5 ** (days since the last evidence / 180).

Decay (one Python commit of 1000 lines each):
  d0    E - 1 s     w ~ 1     proficiency 100 (1 - e^-0.5)   = 39.3469  confidence 1 - e^-0.1   = 0.0951626  recency ~1
  d180  E - 180 d   w = 0.5   proficiency 100 (1 - e^-0.25)  = 22.1199  confidence 1 - e^-0.05  = 0.0487706  recency 0.5
  d360  E - 360 d   w = 0.25  proficiency 100 (1 - e^-0.125) = 11.7503  confidence 1 - e^-0.025 = 0.0246901  recency 0.25
Depth boundaries (one commit at E - 1 s): 575 lines -> 24.99 novice, 576 -> 25.02 intermediate;
  1386 -> 49.99 intermediate, 1387 -> 50.02 advanced; 2772 -> 74.99 advanced, 2773 -> 75.005 expert.
Two commits (mix): 200 lines at E - 1 s and 400 at E - 180 d: sum(w lines) = 200 + 200 = 400 ->
  100 (1 - e^-0.2) = 18.1269; sum(w) = 1.5 -> 1 - e^-0.15 = 0.139292; 2 commits, 600 lines.
Languages (lang, one commit): src/a.py 10 -> Python 10; web/App.tsx 5+5 -> TypeScript 10; Dockerfile 3
  -> Docker 3; scripts/RUN.SH 4 -> Bash 4 (extension lower-cased); README.md and package.json: no language.
Packages: acme/web package.json at 2024-06-01 (default branch) declares react ^18.2.0, axios 1.6.0.
  lib1 alice 07-02 (default): react ^18.3.0, axios 1.6.0, zod 3.22.0 -> react (framework) and zod (library)
       changed, 30 lines each; axios did not change.
  lib2 bob 07-03 on a PR branch: lib1's + lodash -> compared with lib1 (the default version before) -> lodash.
  lib3 carol 07-04: a new acme/api requirements.txt (Django==5.0.1, requests>=2.31) -> django, requests.
Context: learning = first evidence within 90 days and proficiency < 50 (d0); personal = most evidence
  commits in forks (forker: 2 of 3 in acme/fork); else production (mix, first evidence 180 days back).
"""

from datetime import date, datetime, timedelta
from math import exp

import pytest

from tests.analyzers.helpers import build, rows, table
from tests.metrics.builders import commit, config, shared_warehouse
from tests.warehouse_builder import Warehouse

MODEL = "developer_expertise"
WEEK = date(2024, 7, 1)
END = datetime(2024, 7, 8)


def at(delta: timedelta) -> str:
    return (END - delta).isoformat(sep=" ")


def files(sha, *paths_lines, repo="acme/api"):
    return [dict(repository=repo, sha=sha, path=p, additions=a, deletions=d) for p, a, d in paths_lines]


def content(repo, path, sha, committed, text, default=True):
    return dict(repository=repo, path=path, sha=sha, committed_at=datetime.fromisoformat(committed),
                on_default_branch=default, content=text)


def load(wh: Warehouse) -> None:
    wh.repo("acme/api")
    wh.repo("acme/web")
    wh.repo("acme/fork", is_fork=True, parent="acme/api")
    one_second = timedelta(seconds=1)
    plan = {  # developer: [(sha, age, lines, repo)]
        "d0": [("e0", one_second, 1000, "acme/api")],
        "d180": [("e180", timedelta(days=180), 1000, "acme/api")],
        "d360": [("e360", timedelta(days=360), 1000, "acme/api")],
        "mix": [("m1", one_second, 200, "acme/api"), ("m2", timedelta(days=180), 400, "acme/api")],
        "forker": [("f1", timedelta(days=200), 10, "acme/fork"), ("f2", timedelta(days=150), 10, "acme/fork"),
                   ("f3", timedelta(days=100), 10, "acme/api")],
        **{f"b{n}": [(f"b{n}", one_second, n, "acme/api")] for n in (575, 576, 1386, 1387, 2772, 2773)},
    }
    commits, commit_files = [], []
    for dev, items in plan.items():
        for sha, age, lines, repo in items:
            commits.append(commit(sha, dev, at(age), add=lines, repo=repo))
            commit_files += files(sha, ("src/x.py", lines, 0), repo=repo)
    commits.append(commit("l1", "lang", "2024-07-07 12:00", add=122, dele=6))
    commit_files += files("l1", ("src/a.py", 10, 0), ("web/App.tsx", 5, 5), ("Dockerfile", 3, 0),
                          ("scripts/RUN.SH", 4, 0), ("README.md", 100, 0), ("package.json", 1, 1))
    commits += [commit("lib1", "alice", "2024-07-02 10:00", add=20, dele=10, repo="acme/web"),
                commit("lib2", "bob", "2024-07-03 10:00", add=3, repo="acme/web"),
                commit("lib3", "carol", "2024-07-04 10:00", add=2, repo="acme/api")]
    commit_files += files("lib1", ("package.json", 2, 1), ("src/app.ts", 18, 9), repo="acme/web")
    commit_files += files("lib2", ("package.json", 1, 0), ("src/list.ts", 2, 0), repo="acme/web")
    commit_files += files("lib3", ("requirements.txt", 2, 0))
    wh.add("commits", commits)
    wh.add("commit_files", commit_files)
    wh.add("file_contents", [
        content("acme/web", "package.json", "base", "2024-06-01 00:00",
                '{"dependencies": {"react": "^18.2.0", "axios": "1.6.0"}}'),
        content("acme/web", "package.json", "lib1", "2024-07-02 10:00",
                '{"dependencies": {"react": "^18.3.0", "axios": "1.6.0", "zod": "3.22.0"}}'),
        content("acme/web", "package.json", "lib2", "2024-07-03 10:00",
                '{"dependencies": {"react": "^18.3.0", "axios": "1.6.0", "zod": "3.22.0", "lodash": "4.17.21"}}',
                default=False),
        content("acme/api", "requirements.txt", "lib3", "2024-07-04 10:00", "Django==5.0.1\nrequests>=2.31\n"),
    ])


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, config()) as wh:
        load(wh)
        build(wh, "weekly", WEEK, date(2024, 7, 15), MODEL)
        yield wh


def skills(wh, developer_id, start=WEEK) -> dict[str, dict]:
    return {r["skill"]: r for r in rows(wh, f"weekly.{MODEL}", developer_id=developer_id, period_start=start)}


@pytest.mark.parametrize("developer_id, proficiency, confidence, recency", [
    ("d0", 100 * (1 - exp(-0.5)), 1 - exp(-0.1), 1.0),
    ("d180", 100 * (1 - exp(-0.25)), 1 - exp(-0.05), 0.5),
    ("d360", 100 * (1 - exp(-0.125)), 1 - exp(-0.025), 0.25),
])
def test_decay_at_0_180_and_360_days(wh, developer_id, proficiency, confidence, recency):
    python = skills(wh, developer_id)["Python"]
    assert python["proficiency"] == pytest.approx(proficiency, rel=1e-6)
    assert python["confidence"] == pytest.approx(confidence, rel=1e-6)
    assert python["recency_factor"] == pytest.approx(recency, rel=1e-6)
    assert (python["commit_count"], python["lines_of_code"], python["skill_type"]) == (1, 1000, "language")


def test_depth_boundaries(wh):
    depth = {n: skills(wh, f"b{n}")["Python"]["depth"] for n in (575, 576, 1386, 1387, 2772, 2773)}
    assert depth == {575: "novice", 576: "intermediate", 1386: "intermediate", 1387: "advanced",
                     2772: "advanced", 2773: "expert"}
    assert skills(wh, "b576")["Python"]["proficiency"] == pytest.approx(100 * (1 - exp(-576 / 2000)), rel=1e-6)


def test_several_commits_and_context(wh):
    mix = skills(wh, "mix")["Python"]
    assert mix["proficiency"] == pytest.approx(100 * (1 - exp(-0.2)), rel=1e-6)
    assert mix["confidence"] == pytest.approx(1 - exp(-0.15), rel=1e-6)
    assert (mix["commit_count"], mix["lines_of_code"]) == (2, 600)
    assert mix["last_activity_at"] == END - timedelta(seconds=1)
    assert mix["first_activity_at"] == END - timedelta(days=180)
    assert mix["context"] == "production"
    assert skills(wh, "d0")["Python"]["context"] == "learning"
    assert skills(wh, "b2773")["Python"]["context"] == "production"  # new, but already expert
    assert skills(wh, "forker")["Python"]["context"] == "personal"


def test_languages_from_file_names(wh):
    lang = {name: (r["skill_type"], r["lines_of_code"]) for name, r in skills(wh, "lang").items()}
    assert lang == {"Python": ("language", 10), "TypeScript": ("language", 10), "Docker": ("language", 3),
                    "Bash": ("language", 4)}


def test_frameworks_and_libraries_from_changed_manifests(wh):
    alice = {name: (r["skill_type"], r["ecosystem"], r["lines_of_code"]) for name, r in skills(wh, "alice").items()}
    assert alice == {"react": ("framework", "npm", 30), "zod": ("library", "npm", 30), "TypeScript": ("language", "", 27)}
    bob = {name: r["skill_type"] for name, r in skills(wh, "bob").items()}
    assert bob == {"lodash": "library", "TypeScript": "language"}
    carol = {name: r["skill_type"] for name, r in skills(wh, "carol").items()}
    assert carol == {"django": "framework", "requests": "library"}


def test_as_of_rows_carry_on_and_decay(wh):
    # the next week (end 2024-07-15): d180's commit is 187 days old
    python = skills(wh, "d180", date(2024, 7, 8))["Python"]
    w = 0.5 ** (187 / 180)
    assert python["proficiency"] == pytest.approx(100 * (1 - exp(-1000 * w / 2000)), rel=1e-6)
    assert python["recency_factor"] == pytest.approx(w, rel=1e-6)
    # nothing before the first evidence: the week of 06-24 has no rows for alice, bob or carol
    assert {r["developer_id"] for r in rows(wh, f"weekly.{MODEL}", period_start=date(2024, 6, 24))} == set()


def test_single_run_and_per_partition_runs_give_identical_rows(tmp_path_factory):
    # one run over five weeks versus one run per week, in reverse order
    with shared_warehouse(tmp_path_factory, config()) as single, shared_warehouse(tmp_path_factory, config()) as split:
        for wh in (single, split):
            load(wh)
        build(single, "weekly", date(2024, 6, 17), date(2024, 7, 22), MODEL, "team_expertise")
        weeks = [date(2024, 6, 17) + timedelta(days=7 * k) for k in range(5)]
        build(split, "weekly", weeks[-1], weeks[-1] + timedelta(days=7), MODEL, "team_expertise")
        for week in reversed(weeks[:-1]):
            build(split, "weekly", week, week + timedelta(days=7), MODEL, "team_expertise", staging=False)
        for relation in (f"weekly.{MODEL}", "weekly.team_expertise"):
            assert table(single, relation) == table(split, relation), relation
        assert len(table(single, f"weekly.{MODEL}")) > 40
