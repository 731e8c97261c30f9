"""Incremental collection, the single-PR and commit-detail shapes, large PRs,
organisations and teams, and the request-budget estimate.

Most tests use the ants recording completed with SYNTHESIZED answers for
what it lacks (``replay.complete_ants``); the github3.py test serves only
recorded bodies (BSD-3-Clause), re-routed where noted.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime

import duckdb
import pyarrow as pa

from pipelines.config import GithubSettings
from pipelines.sources.github import ClientOptions, estimate_budget
from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

from .conftest import TOKEN, FakeTime, count, run, workspace
from .replay import (
    ANTS_REPO,
    FIXTURES,
    Exchange,
    ReplayServer,
    add_commit_detail,
    ants_repo_object,
    ants_server,
    complete_ants,
    load_recording,
)

API = "https://api.github.com"


def _changes(con, run_id: str) -> set[tuple[str, str, str]]:
    return set(con.execute(
        "select entity, change, entity_key from raw.change_log where run_id = ?", [run_id]).fetchall())


def _commit_item(template: dict, sha: str, date: str, message: str) -> dict:
    c = copy.deepcopy(template)
    c["sha"] = sha
    c["commit"]["author"]["date"] = c["commit"]["committer"]["date"] = date
    c["commit"]["message"] = message
    c["url"] = f"{API}/repos/{ANTS_REPO}/commits/{sha}"
    return c


def test_incremental_run_catches_late_changes():
    with ants_server(emulate=True) as server:
        complete_ants(server)
        con = duckdb.connect()
        first = run(con, server.url, run_id="r1")
        assert first.completed and not first.gaps
        pulls = server.body(f"/repos/{ANTS_REPO}/pulls")
        owner = ants_repo_object()["owner"]
        template_commit = server.body(f"/repos/{ANTS_REPO}/commits")[0]

        # (a) A late review on PR 158, open at the last run; its updated_at does
        #     not move, so only the re-read of open PRs can catch it.
        server.body(f"/repos/{ANTS_REPO}/pulls/158/reviews").append(
            {"id": 999000001, "user": copy.deepcopy(owner), "body": "late", "state": "APPROVED",
             "submitted_at": "2022-05-01T08:00:00Z", "commit_id": "1" * 40,
             "pull_request_url": f"{API}/repos/{ANTS_REPO}/pulls/158"})
        # (b) PR 167 (open at the last run) is merged.
        merged = "2022-05-01T10:00:00Z"
        for pr in (next(p for p in pulls if p["number"] == 167), server.body(f"/repos/{ANTS_REPO}/pulls/167")):
            pr.update(state="closed", closed_at=merged, merged_at=merged, updated_at=merged)
        server.body(f"/repos/{ANTS_REPO}/pulls/167").update(merged=True, merged_by=copy.deepcopy(owner))
        # (c) A new PR 300 with one commit and a review by a deleted account (user: null).
        new_pr = copy.deepcopy(next(p for p in pulls if p["number"] == 211))
        new_pr.update(number=300, id=999300, title="new", state="open", closed_at=None, merged_at=None,
                      created_at="2022-05-02T09:00:00Z", updated_at="2022-05-02T09:00:00Z",
                      url=f"{API}/repos/{ANTS_REPO}/pulls/300")
        pulls.append(new_pr)
        server.add_json(f"/repos/{ANTS_REPO}/pulls/300", dict(copy.deepcopy(new_pr), additions=3, deletions=1,
                                                              changed_files=1, commits=1, merged_by=None))
        pr_commit = _commit_item(template_commit, "c" * 40, "2022-05-02T08:00:00Z", "new work")
        server.add_json(f"/repos/{ANTS_REPO}/pulls/300/commits", [pr_commit])
        server.add_json(f"/repos/{ANTS_REPO}/pulls/300/files", [{"filename": "pool.go", "status": "modified",
                                                                "additions": 3, "deletions": 1, "changes": 4}])
        server.add_json(f"/repos/{ANTS_REPO}/pulls/300/reviews", [
            {"id": 999000002, "user": None, "body": "from a deleted account", "state": "COMMENTED",
             "submitted_at": "2022-05-02T10:00:00Z", "commit_id": "c" * 40,
             "pull_request_url": f"{API}/repos/{ANTS_REPO}/pulls/300"}])
        add_commit_detail(server, pr_commit)
        # (d) A new default-branch commit.
        main_commit = _commit_item(template_commit, "d" * 40, "2022-05-03T08:00:00Z", "on master")
        server.body(f"/repos/{ANTS_REPO}/commits").insert(0, main_commit)
        add_commit_detail(server, main_commit)
        # (e) An edited review comment on an old PR.
        comment = next(c for c in server.body(f"/repos/{ANTS_REPO}/pulls/comments") if c["id"] == 300245643)
        comment.update(body="edited", updated_at="2022-05-04T00:00:00Z")

        server.reset_log()
        second = run(con, server.url, run_id="r2")
        assert second.completed and not second.gaps

    changes = _changes(con, "r2")
    new_files = {("commit_files", "insert", k) for (k,) in con.execute(
        "select repository || '/' || sha || '/' || path from raw.commit_files where sha in (?, ?)",
        ["c" * 40, "d" * 40]).fetchall()}
    assert new_files and changes == {
        ("pull_requests", "update", f"{ANTS_REPO}/167"),
        ("pull_requests", "insert", f"{ANTS_REPO}/300"),
        ("reviews", "insert", "999000001"),
        ("reviews", "insert", "999000002"),
        ("review_comments", "update", "300245643"),
        ("commits", "insert", f"{ANTS_REPO}/{'c' * 40}"),
        ("commits", "update", f"{ANTS_REPO}/{'c' * 40}"),  # its detail (stats)
        ("commits", "insert", f"{ANTS_REPO}/{'d' * 40}"),
        ("commits", "update", f"{ANTS_REPO}/{'d' * 40}"),
        ("pull_request_commits", "insert", f"{ANTS_REPO}/300/{'c' * 40}"),
        ("pull_request_files", "insert", f"{ANTS_REPO}/300/pool.go"),
    } | new_files
    # The late-data sensor gets the event times, old and new.
    times = con.execute("select event_times from raw.change_log where run_id = 'r2' and entity = 'pull_requests' "
                        "and entity_key = ?", [f"{ANTS_REPO}/167"]).fetchone()[0]
    assert datetime(2022, 5, 1, 10) in times
    assert con.execute("select state, merged_by_login, merged_at from raw.pull_requests where number = 167").fetchone() == (
        "closed", "panjf2000", datetime(2022, 5, 1, 10))
    assert con.execute("select reviewer_login, reviewer_user_id, pr_number from raw.reviews where review_id = 999000002"
                       ).fetchone() == (None, None, 300)
    assert con.execute("select on_default_branch, additions is not null from raw.commits where sha = ?",
                       ["d" * 40]).fetchone() == (True, True)
    # Old closed PRs were not read again; the open ones were, conditionally.
    assert not server.requests_to(r"/pulls/4(/|$)")
    reread = server.requests_to(r"/pulls/(158|176|211)/reviews$")
    assert len(reread) == 3 and all(s.if_none_match for s in reread)
    assert [s.status for s in reread if s.path.endswith("/158/reviews")] == [200]


def test_pull_request_over_250_commits_is_completed_with_compare():
    with ants_server(emulate=True) as server:
        complete_ants(server)
        pulls = server.body(f"/repos/{ANTS_REPO}/pulls")
        template = server.body(f"/repos/{ANTS_REPO}/commits")[0]
        for number, total, compare_ok in [(400, 260, True), (401, 300, False)]:
            commits = [_commit_item(template, f"{number:04d}{i:036x}", "2022-03-01T00:00:00Z", f"c{i}") for i in range(total)]
            pr = copy.deepcopy(pulls[-1])
            pr.update(number=number, id=990000 + number, updated_at="2022-03-02T00:00:00Z",
                      base=dict(pr["base"], sha="b" * 40), head=dict(pr["head"], sha=commits[-1]["sha"]))
            pulls.append(pr)
            server.add_json(f"/repos/{ANTS_REPO}/pulls/{number}", dict(copy.deepcopy(pr), commits=total, additions=1,
                                                                       deletions=1, changed_files=1, merged_by=None))
            server.add_json(f"/repos/{ANTS_REPO}/pulls/{number}/commits", commits[:250])  # GitHub's cap
            server.add_json(f"/repos/{ANTS_REPO}/pulls/{number}/files", [])
            server.add_json(f"/repos/{ANTS_REPO}/pulls/{number}/reviews", [])
            if compare_ok:
                server.add(f"/repos/{ANTS_REPO}/compare/{'b' * 40}...{commits[-1]['sha']}", _paged_compare(server, commits))
        con = duckdb.connect()
        report = run(con, server.url, commit_details=False)
        # The PR commit list came in 3 pages (Link), the compare in 3 more.
        assert len(server.requests_to(r"/pulls/400/commits$")) == 3
        assert len(server.requests_to(r"/compare/b+\.\.\.0400")) == 3
        assert len(server.requests_to(r"/compare/b+\.\.\.0401")) == 1
    assert count(con, "select count(*) from raw.pull_request_commits where pr_number = 400") == 260
    assert count(con, "select count(*) from raw.pull_request_commits where pr_number = 401") == 250
    assert report.gap_counts() == {"pull_commits_truncated": 1}
    assert report.gaps[0].path.startswith(f"/repos/{ANTS_REPO}/compare/") and report.gaps[0].status == 404


def _paged_compare(server, commits: list[dict]):
    def answer(seen) -> Exchange:
        page, per = int(seen.query.get("page", "1")), int(seen.query.get("per_page", "30"))
        headers = {}
        if page * per < len(commits):
            headers["link"] = f'<{server.url}{seen.path}?per_page={per}&page={page + 1}>; rel="next"'
        body = {"status": "ahead", "ahead_by": len(commits), "total_commits": len(commits),
                "commits": commits[(page - 1) * per: page * per], "files": []}
        return Exchange(200, headers, body, source="synthesized compare")
    return answer


GITHUB3PY = "sigmavirus24/github3.py"


def serve_github3py(server: ReplayServer) -> None:
    """Recorded github3.py exchanges (BSD-3-Clause), routed as one repository."""
    ex = FIXTURES / "exchanges"
    single = Exchange.load(ex / "pull_single.json")
    detail = Exchange.load(ex / "commit_with_stats_files.json")
    for name in ("pull_single", "pull_commits", "repo_commits_page1_link", "commit_with_stats_files"):
        path, query, exchange = load_recording(ex / f"{name}.json")
        # The commit list was recorded with per_page=25: serve it for any query.
        server.add(path, exchange, None if name == "repo_commits_page1_link" else query)
    server.add_json(f"/repos/{GITHUB3PY}", single.body["base"]["repo"], note="recorded: base.repo of pull_single")
    server.add_json(f"/repos/{GITHUB3PY}/pulls", [single.body], note="synthesized list of the recorded PR object")
    # Recorded per-PR comments of PR 235, served at the repository-wide path.
    server.add(f"/repos/{GITHUB3PY}/pulls/comments", Exchange.load(ex / "pull_review_comments.json"))
    # Page 2 of the recorded commit list (synthesized): the recorded detail's commit, as a list item.
    server.add_json("/repositories/3710711/commits", [{k: v for k, v in detail.body.items() if k not in ("stats", "files")}])


def test_github3py_recorded_shapes_and_verbatim_link():
    """Recorded single PR, PR commits, review comments, commit detail with
    stats and files, and a commit list whose Link uses /repositories/{id}."""
    repo = GITHUB3PY
    with ReplayServer() as server:  # no list emulation: recorded Link headers as they are
        serve_github3py(server)
        con = duckdb.connect()
        report = run(con, server.url, ws=workspace({"repo": repo}), since=datetime(2010, 1, 1))
        page2 = server.requests_to(r"^/repositories/3710711/commits$")
    assert report.completed
    assert [s.raw for s in page2] == ["/repositories/3710711/commits?per_page=25&page=2"]  # verbatim
    sha = "6b12e37bdc1bea465f04a53262194ab332711ee8"
    row = con.execute("select additions, deletions, on_default_branch, author_name, payload from raw.commits "
                      "where sha = ?", [sha]).fetchone()
    assert row[:4] == (148, 7, True, "Ian Stapleton Cordasco")
    stored = json.loads(row[4])
    assert stored["stats"] == {"total": 155, "additions": 148, "deletions": 7}
    assert len(stored["files"]) == 7 and not any("patch" in f for f in stored["files"])
    assert con.execute("select count(*), sum(additions), sum(deletions) from raw.commit_files where sha = ?",
                       [sha]).fetchone() == (7, 148, 7)
    assert con.execute("select status, count(*) from raw.commit_files where sha = ? group by 1 order by 1",
                       [sha]).fetchall() == [("added", 2), ("modified", 5)]
    pr = con.execute("select additions, deletions, changed_files, merged_by_login, state, merged_at, author_login "
                     "from raw.pull_requests where number = 235").fetchone()
    assert pr == (18, 0, 2, "sigmavirus24", "closed", datetime(2014, 5, 3, 14, 41, 23), "bgilbert")
    assert count(con, "select count(*) from raw.pull_request_commits where pr_number = 235") == 2
    assert count(con, "select count(*) from raw.review_comments where pr_number = 235") == 3
    assert count(con, "select count(*) from raw.commits where on_default_branch") == 26
    assert count(con, "select count(*) from raw.commits") == 28
    assert report.gap_counts()["commit_detail"] == 27  # only one detail was recorded


def test_commits_with_stats_from_the_git_source_are_not_fetched_again():
    with ants_server(emulate=True) as server:
        complete_ants(server)
        sha = server.body(f"/repos/{ANTS_REPO}/commits")[0]["sha"]
        con = duckdb.connect()
        ensure_raw_schema(con)
        # What the git source writes for a local mirror: stats and the author's offset.
        upsert(con, "commits", pa.table({
            "repository": [ANTS_REPO], "sha": [sha], "authored_at": pa.array([datetime(2020, 1, 1)], pa.timestamp("us")),
            "author_utc_offset_minutes": pa.array([480], pa.int32()),
            "additions": pa.array([5], pa.int32()), "deletions": pa.array([1], pa.int32())}), "git")
        report = run(con, server.url)
        assert report.completed
        assert not server.requests_to(rf"/commits/{sha}$")
        assert len(server.requests_to(r"/commits/[0-9a-f]{40}$")) == 89
    row = con.execute("select additions, deletions, author_utc_offset_minutes, author_login, on_default_branch "
                      "from raw.commits where sha = ?", [sha]).fetchone()
    assert row[:3] == (5, 1, 480) and row[3] is not None and row[4] is True


def test_organisation_repositories_and_teams():
    with ants_server(emulate=True) as server:
        repo = ants_repo_object()
        owner = repo["owner"]
        pulls = server.body(f"/repos/{ANTS_REPO}/pulls")
        other = next(p["user"] for p in pulls if p["user"]["login"] == "SimePel")
        server.add_json("/orgs/acme/repos", [repo])
        server.add_json("/users/panjf2000/repos", [repo])  # panjf2000 is a user, not an organisation
        server.add_json("/orgs/acme/teams", [{"id": 1, "slug": "core", "name": "Core"},
                                             {"id": 2, "slug": "docs", "name": "Docs"}])
        server.add_json("/orgs/acme/teams/core/members", [owner, other])
        # /orgs/acme/teams/docs/members is not served: 404, a gap.
        con = duckdb.connect()
        ws = workspace({"org": "acme"}, {"org": "panjf2000"}, {"repo": "panjf2000/ants"}, teams_from_github=True)
        report = run(con, server.url, ws=ws, commit_details=False)
        assert [s.path for s in server.log[:3]] == ["/orgs/acme/repos", "/orgs/panjf2000/repos", "/users/panjf2000/repos"]
        assert not server.requests_to(r"^/orgs/panjf2000/teams")
    assert report.repositories == [ANTS_REPO]  # listed three ways, ingested once
    assert con.execute("select * from raw.workspace_repositories").fetchall() == [("w", ANTS_REPO)]
    assert sorted(con.execute("select workspace_id, team_id, login from raw.team_members").fetchall()) == [
        ("w", "core", "SimePel"), ("w", "core", "panjf2000")]  # logins as GitHub returns them
    assert report.gap_counts()["team_members"] == 1


def test_budget_estimate_before_a_full_ingest():
    with ants_server(emulate=True) as server:
        complete_ants(server)
        server.add("/rate_limit", Exchange.load(FIXTURES / "exchanges" / "rate_limit_endpoint.json"))
        default_branch = len(server.body(f"/repos/{ANTS_REPO}/commits"))
        lines: list[str] = []
        fake = FakeTime()
        est = estimate_budget(duckdb.connect(), workspace({"repo": ANTS_REPO}), GithubSettings(),
                              since=datetime(2018, 1, 1), log=lines.append, token=TOKEN, api_url=server.url,
                              options=ClientOptions(sleep=fake.sleep, clock=fake.clock))
        probes = len(server.log)
        actual = run(duckdb.connect(), server.url).requests
    assert est.repositories == 1 and est.commits == default_branch and est.pull_requests == 49
    assert est.requests["pull_request_details"] == 49 * 4
    assert est.requests["commit_details"] == default_branch + 49 * 2
    assert est.rate_limit == 5000 and est.probe_requests == probes <= 5
    assert 0.5 * actual <= est.total_requests <= 2 * actual
    text = "\n".join(lines)
    assert "commit details" in text and "hours" in text and TOKEN not in text
    assert est.as_metadata()["estimated_requests"] == est.total_requests


def test_two_repositories_are_collected_concurrently():
    with ants_server() as server:
        complete_ants(server)
        serve_github3py(server)
        con = duckdb.connect()
        ws = workspace({"repo": GITHUB3PY}, {"repo": ANTS_REPO})
        report = run(con, server.url, ws=ws, since=datetime(2010, 1, 1), settings=GithubSettings(concurrency=8))
        ants_files = sum(len(server.body(f"/repos/{ANTS_REPO}/commits/{sha}")["files"])
                         for (sha,) in con.execute("select sha from raw.commits where repository = ?", [ANTS_REPO]).fetchall())
    assert report.repositories == [ANTS_REPO, GITHUB3PY]
    per_repo = {t: dict(con.execute(f"select repository, count(*) from raw.{t} group by 1").fetchall())
                for t in ("pull_requests", "commits", "pull_request_commits", "review_comments", "reviews",
                          "commit_files", "pull_request_files")}
    assert per_repo == {
        "pull_requests": {ANTS_REPO: 49, GITHUB3PY: 1},
        "commits": {ANTS_REPO: 90, GITHUB3PY: 28},
        "pull_request_commits": {ANTS_REPO: 90, GITHUB3PY: 2},
        "review_comments": {ANTS_REPO: 16, GITHUB3PY: 3},
        "reviews": {ANTS_REPO: 30},
        "commit_files": {ANTS_REPO: ants_files, GITHUB3PY: 7},
        "pull_request_files": {ANTS_REPO: 96},
    }
    assert count(con, "select count(*) from raw.commits where additions is null and repository = ?", ANTS_REPO) == 0
    assert report.gap_counts() == {"commit_detail": 27, "pull_files": 1, "pull_reviews": 1, "user": 4}
