"""The real client against the replayed panjf2000/ants recording (Apache DevLake).

Expected figures are computed from the fixture files *and* written out, so
a change to either the fixtures or the client is caught.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import duckdb
import pytest

from .conftest import TOKEN, count, run, snapshot
from .replay import ANTS, ANTS_REPO, ants_pulls, ants_server, complete_ants, recorded_items

REPO = ANTS_REPO


def _fixture_facts() -> dict:
    pulls = ants_pulls()
    commits = recorded_items("repos_panjf2000_ants_pulls_*_commits__*.json")
    reviews = recorded_items("repos_panjf2000_ants_pulls_*_reviews__*.json")
    comments = recorded_items("repos_panjf2000_ants_pulls_comments__*.json")
    all_commits = [c for body in commits.values() for c in body]
    all_reviews = [r for body in reviews.values() for r in body]
    all_comments = [c for body in comments.values() for c in body]
    logins = {p["user"]["login"] for p in pulls}
    logins |= {r["user"]["login"] for r in all_reviews}
    logins |= {c["user"]["login"] for c in all_comments}
    logins |= {c[k]["login"] for c in all_commits for k in ("author", "committer") if c[k]}
    user_files = {json.loads(f.read_text())["response"]["body"]["login"] for f in ANTS.glob("users_*.json")}
    return {
        "pulls": len(pulls),
        "states": Counter(
            "merged" if p["merged_at"] else ("open" if p["state"] == "open" else "closed") for p in pulls
        ),
        "reviews": len(all_reviews),
        "review_states": Counter(r["state"] for r in all_reviews),
        "comments_by_pr": Counter(int(c["pull_request_url"].rsplit("/", 1)[1]) for c in all_comments),
        "pr_commit_rows": len(all_commits),
        "distinct_shas": len({c["sha"] for c in all_commits}),
        "prs_with_commits": len(commits),
        "prs_with_reviews": len(reviews),
        "no_author_account": sum(1 for c in {c["sha"]: c for c in all_commits}.values() if not c["author"]),
        "no_committer_account": sum(1 for c in {c["sha"]: c for c in all_commits}.values() if not c["committer"]),
        "logins": logins,
        "enriched": logins & user_files,
    }


FACTS = _fixture_facts()


def test_fixture_facts_match_the_readme():
    """The numbers the rest of this module relies on, verified from the files."""
    assert FACTS["pulls"] == 49
    assert FACTS["states"] == {"merged": 26, "closed": 19, "open": 4}
    assert FACTS["reviews"] == 30 and FACTS["review_states"] == {"COMMENTED": 27, "CHANGES_REQUESTED": 3}
    assert FACTS["comments_by_pr"] == {40: 8, 41: 6, 36: 2}
    assert FACTS["pr_commit_rows"] == 90 and FACTS["distinct_shas"] == 90 and FACTS["prs_with_commits"] == 43
    assert FACTS["no_author_account"] == 11 and FACTS["no_committer_account"] == 13
    assert len(FACTS["logins"]) == 47 and len(FACTS["enriched"]) == 9


@pytest.fixture(scope="module")
def strict_run():
    """One ingest of the recording as is: unrecorded endpoints answer 404."""
    with ants_server(emulate=True) as server:
        con = duckdb.connect()
        report = run(con, server.url)
        yield con, report, server, snapshot(con, server.url)


def test_exact_row_counts(strict_run):
    con, report, _, _ = strict_run
    assert report.completed
    assert count(con, "select count(*) from raw.repositories") == 1
    assert con.execute("select repository, is_fork, default_branch, github_id from raw.repositories").fetchone() == (
        "panjf2000/ants", False, "master", 134018330
    )
    assert con.execute("select * from raw.workspace_repositories").fetchall() == [("w", REPO)]

    assert count(con, "select count(*) from raw.pull_requests") == 49
    assert count(con, "select count(*) from raw.pull_requests where merged_at is not null") == 26
    assert count(con, "select count(*) from raw.pull_requests where state = 'closed' and merged_at is null") == 19
    assert count(con, "select count(*) from raw.pull_requests where state = 'open'") == 4
    assert con.execute("select min(number), max(number), min(created_at), max(created_at) from raw.pull_requests").fetchone() == (
        4, 211, datetime(2018, 7, 25, 8, 19, 30), datetime(2022, 2, 7, 21, 31, 30)
    )
    # List items carry no single-PR fields: NULL until GET /pulls/{n} answers.
    assert count(con, "select count(*) from raw.pull_requests where additions is not null or merged_by_login is not null") == 0

    assert count(con, "select count(*) from raw.reviews") == 30
    assert dict(con.execute("select state, count(*) from raw.reviews group by 1").fetchall()) == {
        "COMMENTED": 27, "CHANGES_REQUESTED": 3
    }
    assert sorted(r[0] for r in con.execute("select distinct pr_number from raw.reviews").fetchall()) == [41, 51, 53]
    assert count(con, "select count(*) from raw.review_comments") == 16
    assert dict(con.execute("select pr_number, count(*) from raw.review_comments group by 1").fetchall()) == {
        36: 2, 40: 8, 41: 6
    }

    assert count(con, "select count(*) from raw.pull_request_commits") == 90
    assert count(con, "select count(distinct sha) from raw.pull_request_commits") == 90
    assert count(con, "select count(distinct pr_number) from raw.pull_request_commits") == 43
    assert count(con, "select count(*) from raw.commits") == 90
    assert count(con, "select count(*) from raw.commits where author_user_id is null and author_login is null") == 11
    assert count(con, "select count(*) from raw.commits where committer_login is null") == 13
    assert count(con, "select count(*) from raw.commits where on_default_branch") == 0  # no default-branch recording
    assert count(con, "select count(*) from raw.commits where additions is not null") == 0  # no detail recording
    assert count(con, "select count(*) from raw.commit_files") == 0

    assert count(con, "select count(*) from raw.users") == 47
    assert {r[0] for r in con.execute("select login from raw.users").fetchall()} == FACTS["logins"]
    # /users/{login} was recorded for 9 of them: those carry the full object.
    enriched = {r[0] for r in con.execute(
        "select login from raw.users where json_extract(payload, '$.created_at') is not null").fetchall()}
    assert enriched == FACTS["enriched"]


def test_links_between_entities(strict_run):
    con, _, _, _ = strict_run
    # Every review and review comment belongs to a listed PR, and its own JSON says so.
    assert count(con, """select count(*) from raw.reviews r
                         left join raw.pull_requests p on p.repository = r.repository and p.number = r.pr_number
                         where p.number is null""") == 0
    assert count(con, """select count(*) from raw.review_comments c
                         left join raw.pull_requests p on p.repository = c.repository and p.number = c.pr_number
                         where p.number is null""") == 0
    assert count(con, """select count(*) from raw.reviews
                         where not ends_with(json_extract_string(payload, '$.pull_request_url'), '/pulls/' || pr_number)""") == 0
    assert count(con, """select count(*) from raw.review_comments
                         where not ends_with(json_extract_string(payload, '$.pull_request_url'), '/pulls/' || pr_number)""") == 0
    # Every PR commit has its commit row; every per-PR listing was for a listed PR.
    assert count(con, """select count(*) from raw.pull_request_commits pc
                         left join raw.commits c on c.repository = pc.repository and c.sha = pc.sha
                         where c.sha is null""") == 0
    assert count(con, """select count(*) from raw.pull_request_commits pc
                         left join raw.pull_requests p on p.repository = pc.repository and p.number = pc.pr_number
                         where p.number is null""") == 0
    # The review comments point at reviews that the recording does not hold (README: partial).
    assert count(con, "select count(*) from raw.review_comments c join raw.reviews r using (review_id)") == 0


def test_row_values_and_payloads(strict_run):
    con, _, server, _ = strict_run
    pulls = {p["number"]: p for p in ants_pulls()}
    row = con.execute("""select author_login, author_user_id, state, labels, base_ref, head_ref, created_at, closed_at,
                                merged_at, payload from raw.pull_requests where number = 4""").fetchone()
    assert row[:9] == ("barryz", pulls[4]["user"]["id"], "closed", ["enhancement"], "master", "pre_allocate",
                       datetime(2018, 7, 25, 8, 19, 30), datetime(2018, 7, 26, 2, 32, 41), datetime(2018, 7, 26, 2, 32, 41))
    # The original JSON, as recorded (the server rewrote api.github.com to itself).
    assert json.loads(row[9].replace(server.url, "https://api.github.com")) == pulls[4]
    # Logins as GitHub returns them (staging lower-cases); non-ASCII kept.
    assert count(con, "select count(*) from raw.pull_requests where author_login = 'SimePel'") >= 1
    assert count(con, "select count(*) from raw.commits where author_name = 'honglichang(常红立)'") == 1
    chinese = [p["number"] for p in ants_pulls() if re.search("[\u4e00-\u9fff]", p["title"])]
    assert chinese and sorted(r[0] for r in con.execute(
        "select number from raw.pull_requests where regexp_matches(title, '[\u4e00-\u9fff]')").fetchall()) == chinese
    # Bot-like accounts are users of type User; codecov[bot] only exists in /users, which is never asked.
    assert con.execute("select type from raw.users where login = 'web-flow'").fetchone() == ("User",)
    assert count(con, "select count(*) from raw.users where login like '%[bot]'") == 0
    # A review as stored.
    rv = con.execute("select reviewer_login, state, submitted_at, commit_id from raw.reviews where review_id = 286687335").fetchone()
    assert rv == ("panjf2000", "COMMENTED", datetime(2019, 9, 11, 12, 7, 36), "2cef9f56273b2015a0c9a6b96430a6fb695cda94")


def test_change_log_records_event_times(strict_run):
    con, _, _, _ = strict_run
    assert dict(con.execute(
        "select entity, count(*) from raw.change_log where run_id = 'r1' and change = 'insert' group by 1").fetchall()
    ) == {"repositories": 1, "workspace_repositories": 1, "users": 47, "commits": 90, "pull_requests": 49,
          "pull_request_commits": 90, "reviews": 30, "review_comments": 16}
    times = con.execute("""select event_times from raw.change_log
                           where entity = 'pull_requests' and entity_key = 'panjf2000/ants/4'""").fetchone()[0]
    assert sorted(set(times)) == [datetime(2018, 7, 25, 8, 19, 30), datetime(2018, 7, 26, 2, 32, 41)]


def test_404_sub_resources_are_gaps_with_exact_counts(strict_run):
    _, report, server, _ = strict_run
    # What the recording lacks, per kind: all skipped, logged and counted, none fatal.
    assert report.gap_counts() == {
        "commits": 1,  # default-branch list: not recorded
        "pull": 49,  # GET /pulls/{n}
        "pull_files": 49,
        "pull_commits": 49 - FACTS["prs_with_commits"],
        "pull_reviews": 49 - FACTS["prs_with_reviews"],
        "commit_detail": 90,
        "user": len(FACTS["logins"]) - len(FACTS["enriched"]),
    }
    assert all(g.status == 404 for g in report.gaps)
    meta = report.as_metadata()
    assert meta["gaps"] == 279 and meta["requests"] == len(server.log) == report.requests
    assert meta["rows_inserted"]["pull_requests"] == 49
    assert TOKEN not in json.dumps(meta)


def test_link_pagination_matches_the_single_page_run(strict_run):
    """Pages of 20 whose Link URLs use /repositories/{id}/... and an opaque
    cursor: only a client that follows Link verbatim reaches page 3."""
    _, _, _, expected = strict_run
    with ants_server(emulate=True, page_size=20) as server:
        con = duckdb.connect()
        report = run(con, server.url)
        assert report.completed
        pulls = server.requests_to(r"/pulls$")
        assert [s.path for s in pulls] == [f"/repos/{REPO}/pulls", "/repositories/134018330/pulls",
                                            "/repositories/134018330/pulls"]
        assert [s.query.get("page") for s in pulls] == [None, "2", "3"] and all(s.query.get("after") for s in pulls[1:])
        assert not [s for s in server.log if s.status == 400]
        assert snapshot(con, server.url) == expected


def test_second_run_sends_etags_and_changes_nothing():
    with ants_server(emulate=True) as server:
        complete_ants(server)  # every endpoint answers, so every sub-resource has an ETag
        con = duckdb.connect()
        first = run(con, server.url, run_id="r1")
        assert first.gap_counts() == {} and first.not_modified == 0
        before = snapshot(con)
        server.reset_log()

        second = run(con, server.url, run_id="r2")
        # Repo, PR list and the 4 open PRs x (PR, commits, files, reviews): all 304.
        assert second.not_modified == 18
        conditional = [s for s in server.log if s.if_none_match]
        assert len(conditional) == 18 and all(s.status == 304 for s in conditional)
        assert {s.path for s in conditional} >= {f"/repos/{REPO}", f"/repos/{REPO}/pulls"}
        # Only the lists whose `since` moved with the cursor were read again.
        assert sorted(s.path for s in server.log if s.status == 200) == [
            f"/repos/{REPO}/commits", f"/repos/{REPO}/pulls/comments"]
        assert not server.requests_to(r"/commits/[0-9a-f]{40}$")  # stats already stored
        assert not server.requests_to(r"^/users/")  # accounts already known
        assert snapshot(con) == before
        assert count(con, "select count(*) from raw.change_log where run_id = 'r2'") == 0

        server.reset_log()
        third = run(con, server.url, run_id="r3")
        # The cursors are stable now: every request is conditional and answered 304.
        assert third.not_modified == third.requests == 20
        assert snapshot(con) == before


def test_since_limits_what_is_collected():
    since = datetime(2021, 6, 1)
    expected = [p["number"] for p in ants_pulls() if p["updated_at"] >= "2021-06-01T00:00:00Z"]
    with ants_server(emulate=True) as server:
        con = duckdb.connect()
        report = run(con, server.url, since=since)
        assert report.completed
        got = sorted(r[0] for r in con.execute("select number from raw.pull_requests").fetchall())
        assert got == sorted(expected) and 0 < len(got) < 49
        # Reviews (2019) were on PRs outside the window; so were the comments.
        assert count(con, "select count(*) from raw.reviews") == 0
        assert count(con, "select count(*) from raw.review_comments") == 0
        # The list was read only until the first PR older than the window.
        assert len(server.requests_to(r"/pulls/\d+$")) == len(expected)
