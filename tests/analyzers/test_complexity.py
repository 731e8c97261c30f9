"""PR complexity (METRICS.md §7; docs/metrics.md "PR complexity"), worked by hand.
PRs opened in the week of Mon 2024-03-04 (lines = additions + deletions):

  #  author  title                              labels                 lines files                                  level     primary        layers
  1  alice   docs: fix typo in README           -                         3  README.md                              trivial   documentation  docs
  2  alice   feat(api): add search endpoint     -                        40  src/api/search.py, tests/test_search.py simple    feature        backend, tests
  3  alice   Bump react from 18.2.0 to 18.3.0   dependencies            200  package.json, package-lock.json        moderate  dependency     dependencies
  4  alice   Refactor billing                   -                       600  src/billing/invoice.py,                critical  refactor       backend, frontend, database
                                                                             web/src/components/Invoice.tsx,        (migration)                  -> cross-cutting
                                                                             migrations/0003_invoices.sql
  5  alice   Speed up login                     performance, security  1200  src/auth/login.py,                     critical  performance    backend, infrastructure
                                                                             .github/workflows/ci.yml               (> 1000, auth)               -> cross-cutting
  6  alice   Misc                               -                        11  config/settings.yaml                   simple    configuration  configuration
  7  bob     fix: null check                    -                         5  src/api/users.py                       trivial   bugfix         backend
  not analyzed: a dependabot[bot] PR, and alice's PR opened 03-01.
#5's categories: infrastructure (path), security (label, path), performance (title, label).
alice: 6 PRs; levels 1 trivial, 2 simple, 1 moderate, 2 critical; files 11 -> 11/6 per PR; scores
  1+2+3+5+5+2 = 18 -> 3.0; cross-cutting 2/6; infrastructure 1/6; review effort: #2 got 1 review and
  2 inline comments -> 3/6 = 0.5; lines 2054 / 6.
  components by PRs: (root) #1 #3 = 2, then .github, api, auth, billing (1 each, by name).
team platform (alice, bob): 7 PRs, trivial 2.
"""

from datetime import date

import pytest

from tests.analyzers.helpers import build, rows
from tests.metrics.builders import WEEK, comment, config, pr, repos, review, shared_warehouse

CONFIG = config(teams={"platform": ["alice", "bob"]})


def pull(number, login, created, title, files, labels=None):
    row = pr(number, login, created)
    row.update(title=title, labels=labels or [], additions=sum(f[1] for f in files),
               deletions=sum(f[2] for f in files), changed_files=len(files))
    return row


PRS = [
    (1, "alice", "docs: fix typo in README", [("README.md", 2, 1)], None),
    (2, "alice", "feat(api): add search endpoint", [("src/api/search.py", 25, 5), ("tests/test_search.py", 5, 5)], None),
    (3, "alice", "Bump react from 18.2.0 to 18.3.0", [("package.json", 1, 1), ("package-lock.json", 149, 49)],
     ["dependencies"]),
    (4, "alice", "Refactor billing", [("src/billing/invoice.py", 300, 50), ("web/src/components/Invoice.tsx", 150, 40),
                                      ("migrations/0003_invoices.sql", 50, 10)], None),
    (5, "alice", "Speed up login", [("src/auth/login.py", 1000, 190), (".github/workflows/ci.yml", 0, 10)],
     ["performance", "security"]),
    (6, "alice", "Misc", [("config/settings.yaml", 11, 0)], None),
    (7, "bob", "fix: null check", [("src/api/users.py", 4, 1)], None),
    (8, "dependabot[bot]", "chore(deps): bump x", [("package.json", 1, 1)], ["dependencies"]),
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        repos(wh, "acme/api")
        wh.add("pull_requests", [pull(n, who, f"2024-03-0{4 + n % 3} 10:00", title, fs, labels)
                                 for n, who, title, fs, labels in PRS]
               + [pull(9, "alice", "2024-03-01 10:00", "feat: earlier", [("src/a.py", 1, 0)])])
        wh.add("pull_request_files", [dict(repository="acme/api", pr_number=n, path=p, additions=a, deletions=d)
                                      for n, _, _, fs, _ in PRS for p, a, d in fs])
        wh.add("reviews", [review(1, 2, "bob", "COMMENTED", "2024-03-07 10:00")])
        wh.add("review_comments", [comment(1, 2, "bob", "2024-03-07 10:00", review_id=1),
                                   comment(2, 2, "bob", "2024-03-07 10:00", review_id=1)])
        build(wh, "weekly", WEEK, date(2024, 3, 11), "pr_complexity", "complexity_summary")
        yield wh


def test_per_pr_levels_and_categories(wh):
    prs = {r["number"]: r for r in rows(wh, "weekly.pr_complexity")}
    assert set(prs) == {1, 2, 3, 4, 5, 6, 7}
    assert {n: (r["complexity_level"], r["complexity_score"], r["primary_category"]) for n, r in prs.items()} == {
        1: ("trivial", 1, "documentation"), 2: ("simple", 2, "feature"), 3: ("moderate", 3, "dependency"),
        4: ("critical", 5, "refactor"), 5: ("critical", 5, "performance"), 6: ("simple", 2, "configuration"),
        7: ("trivial", 1, "bugfix")}
    assert prs[5]["categories"] == ["infrastructure", "security", "performance"]
    assert prs[4]["layers"] == ["frontend", "backend", "database"] and prs[4]["cross_cutting"]
    assert prs[5]["layers"] == ["backend", "infrastructure"] and prs[5]["cross_cutting"]
    assert prs[2]["layers"] == ["backend", "tests"] and not prs[2]["cross_cutting"]
    assert prs[4]["touches_critical_paths"] and prs[5]["touches_critical_paths"] and not prs[3]["touches_critical_paths"]
    assert prs[4]["components"] == ["billing", "migrations", "web"]
    assert (prs[2]["review_effort"], prs[2]["files_changed"], prs[4]["lines_changed"]) == (3, 2, 600)


def summary(wh, group_type, group_id):
    return rows(wh, "weekly.complexity_summary", group_type=group_type, group_id=group_id, period_start=WEEK)[0]


def test_developer_summary(wh):
    alice = summary(wh, "developer", "alice")
    assert alice["total_prs_analyzed"] == 6
    assert (alice["trivial_count"], alice["simple_count"], alice["moderate_count"], alice["complex_count"],
            alice["critical_count"]) == (1, 2, 1, 0, 2)
    assert alice["avg_files_per_pr"] == pytest.approx(11 / 6)
    assert alice["avg_complexity_score"] == pytest.approx(3.0)
    assert alice["avg_lines_per_pr"] == pytest.approx(2054 / 6)
    assert alice["cross_cutting_ratio"] == pytest.approx(2 / 6)
    assert alice["infrastructure_ratio"] == pytest.approx(1 / 6)
    assert alice["handles_critical_changes"] is True
    assert alice["avg_review_effort"] == pytest.approx(0.5)
    assert [c["category"] for c in alice["primary_categories"]] == [
        "configuration", "dependency", "documentation", "feature", "performance", "refactor"]
    assert alice["common_components"] == [
        {"component": "(root)", "count": 2}, {"component": ".github", "count": 1}, {"component": "api", "count": 1},
        {"component": "auth", "count": 1}, {"component": "billing", "count": 1}]
    assert alice["common_layers"][0] == {"layer": "backend", "count": 3} and len(alice["common_layers"]) == 8
    bob = summary(wh, "developer", "bob")
    assert (bob["total_prs_analyzed"], bob["handles_critical_changes"]) == (1, False)


def test_team_and_workspace_summaries(wh):
    team = summary(wh, "team", "platform")
    assert (team["total_prs_analyzed"], team["trivial_count"], team["critical_count"]) == (7, 2, 2)
    workspace = summary(wh, "workspace", "acme")
    assert workspace["total_prs_analyzed"] == 7  # the bot's PR is nobody's
