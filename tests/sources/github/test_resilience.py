"""Rate limits, server errors, broken bodies, crashes and user errors.

Faults use the recorded GitHub answers where a recording exists (PyGithub's
403 primary limit without a reset, its 403 secondary limit with
``retry-after: 60``, its 502); the 429 and the primary limit *with* a reset
are synthesized (no public recording has them). Sleeps go to a fake clock,
so a 60-second pause costs nothing.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.config import GithubSettings
from pipelines.sources.github import (
    GithubAuthError,
    GithubNotFoundError,
    GithubResponseError,
    GithubServerError,
    ingest_github,
)

from .conftest import ANTS_WS, TOKEN, FakeTime, count, run, snapshot, workspace
from .replay import ANTS_REPO, FIXTURES, Exchange, Fault, ants_server, complete_ants, recorded_items

EX = FIXTURES / "exchanges"
PRIMARY_RECORDED = Exchange.load(EX / "rate_limit_exceeded_403.json")  # remaining 0, no reset (2013)
SECONDARY_RECORDED = Exchange.load(EX / "secondary_rate_limit_403_retry_after.json")  # retry-after: 60
BAD_GATEWAY = Exchange.load(EX / "server_error_502.json")


@pytest.fixture(scope="module")
def strict_clean():
    with ants_server(emulate=True) as server:
        con = duckdb.connect()
        report = run(con, server.url)
        return snapshot(con, server.url), report.gap_counts()


@pytest.fixture(scope="module")
def complete_clean():
    with ants_server(emulate=True) as server:
        complete_ants(server)
        con = duckdb.connect()
        report = run(con, server.url)
        assert report.completed and not report.gaps
        return snapshot(con, server.url)


def test_rate_limits_5xx_and_broken_bodies_are_survived(strict_clean, captured):
    expected_rows, expected_gaps = strict_clean
    fake = FakeTime()
    with ants_server(emulate=True) as server:
        primary_with_reset = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-resource": "core",
        }
        server.faults = [
            Fault("respond", path=rf"^/repos/{ANTS_REPO}$", times=2, status=502,
                  headers=BAD_GATEWAY.headers, body=BAD_GATEWAY.body),
            # Primary limit with a reset 5 s ahead (synthesized): wait until the reset.
            Fault("respond", path=r"/pulls$", status=403,
                  headers=lambda: dict(primary_with_reset, **{"x-ratelimit-reset": str(int(fake.now) + 5)}),
                  body={"message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
            # The recorded primary limit has no reset header: a default pause.
            Fault("respond", path=rf"^/repos/{ANTS_REPO}/commits$", status=403,
                  headers=PRIMARY_RECORDED.headers, body=PRIMARY_RECORDED.body),
            # The recorded secondary limit: retry-after 60.
            Fault("respond", path=r"/pulls/comments$", status=403,
                  headers=SECONDARY_RECORDED.headers, body=SECONDARY_RECORDED.body),
            # ...then the same list arrives cut in half (valid HTTP, broken JSON).
            Fault("truncate", path=r"/pulls/comments$"),
            # A 429 (synthesized) with retry-after.
            Fault("respond", path=r"^/users/", status=429, headers={"retry-after": "7"},
                  body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
            Fault("drop", path=r"/pulls/51/reviews$"),  # connection closed, no answer
            Fault("short", path=r"/pulls/41/commits$"),  # Content-Length promises more than is sent
        ]
        con = duckdb.connect()
        report = run(con, server.url, fake=fake)
        assert all(f.fired == f.times for f in server.faults)
        assert report.completed
        # Same rows and the same gaps as an undisturbed run: nothing lost, nothing doubled.
        assert snapshot(con, server.url) == expected_rows
        assert report.gap_counts() == expected_gaps

    assert report.rate_limit_waits == 4
    # ~6 s (reset + 1 s margin) + 60 (no reset) + 60 (retry-after) + 7 (retry-after)
    assert 132 <= report.rate_limit_wait_seconds <= 133
    assert report.retries == 2 + 1 + 1 + 1  # two 502s, truncated, dropped, short
    assert max(fake.sleeps) == 60
    log = captured.text
    assert "primary rate limit on GET /repos/panjf2000/ants/pulls" in log and "resuming at" in log
    assert "secondary rate limit on GET /repos/panjf2000/ants/pulls/comments" in log
    assert "resuming GitHub requests" in log
    assert "malformed JSON body" in log and "HTTP 502" in log
    assert TOKEN not in log


class Crash(Exception):
    """Stands in for the process dying: raised by an httpx request hook."""


def crash_after(n: int) -> dict:
    seen = {"n": 0}

    async def hook(request) -> None:
        seen["n"] += 1
        if seen["n"] > n:
            raise Crash(f"simulated crash before request {seen['n']}")

    return {"request": [hook]}


@pytest.mark.parametrize("crash_at", [45, 200, 290])
def test_crash_mid_run_then_rerun_gives_the_same_rows(complete_clean, crash_at):
    """337 requests in all: crash among the PRs, in the commit details, among the users."""
    with ants_server(emulate=True) as server:
        complete_ants(server)
        con = duckdb.connect()
        with pytest.raises(Crash) as info:
            run(con, server.url, run_id="crashed", event_hooks=crash_after(crash_at))
        assert info.value.report.completed is False  # the partial report travels with the error
        partial = snapshot(con, server.url)
        assert partial != complete_clean  # something was left to do

        report = run(con, server.url, run_id="rerun")
        assert report.completed and not report.gaps
        assert snapshot(con, server.url) == complete_clean
        # Keys are unique (no duplicates) and nothing is missing.
        for table, key in [("commits", "repository, sha"), ("pull_requests", "repository, number"),
                           ("reviews", "review_id"), ("review_comments", "comment_id"),
                           ("pull_request_commits", "repository, pr_number, sha"), ("users", "user_id")]:
            assert count(con, f"select count(*) - count(distinct ({key})) from raw.{table}") == 0


def test_commit_details_flush_when_the_buffer_fills_and_survive_a_crash(complete_clean, monkeypatch):
    """The commit-detail stage flushes when the writer's buffer is full, not
    after every batch: with batches of 5 commits and a 40-row buffer, a crash in
    the stage leaves some details written and some not; a re-run completes the
    rest and gives the clean run's rows."""
    from functools import partial

    from pipelines.sources.github import ingest as ingest_module
    from pipelines.sources.github.writer import RawWriter

    monkeypatch.setattr(ingest_module, "DETAIL_BATCH", 5)
    monkeypatch.setattr(ingest_module, "RawWriter", partial(RawWriter, max_buffered_rows=40))
    in_details, flushes = [False], []  # flushes (rows buffered) inside the commit-detail stage
    original_flush, original_details = RawWriter.flush, ingest_module._GithubIngest._commit_details

    def flush(self):
        if in_details[0]:
            flushes.append(self._count)
        original_flush(self)

    async def commit_details(self, full, repo):
        in_details[0] = True
        try:
            return await original_details(self, full, repo)
        finally:
            in_details[0] = False

    monkeypatch.setattr(RawWriter, "flush", flush)
    monkeypatch.setattr(ingest_module._GithubIngest, "_commit_details", commit_details)
    with ants_server(emulate=True) as server:
        complete_ants(server)
        con = duckdb.connect()
        run(con, server.url, run_id="whole")
        assert snapshot(con, server.url) == complete_clean
        details = count(con, "select count(*) from raw.commits where additions is not null")
        # one flush per 40 buffered rows, not one per batch of 5 commits
        assert 2 <= len(flushes) < details / 5 / 2, (flushes, details)
        assert all(n >= 40 for n in flushes), flushes

    with ants_server(emulate=True) as server:
        complete_ants(server)
        con = duckdb.connect()
        with pytest.raises(Crash):
            run(con, server.url, run_id="crashed", event_hooks=crash_after(250))  # of 337: in the details
        written = count(con, "select count(*) from raw.commits where additions is not null")
        assert 0 < written < details  # the crash came mid-stage, after some flushes
        report = run(con, server.url, run_id="rerun")
        assert report.completed and not report.gaps
        assert snapshot(con, server.url) == complete_clean
        assert count(con, "select count(*) - count(distinct (repository, sha)) from raw.commits") == 0


def test_crash_during_an_incremental_run():
    """A second run that dies half-way, then a third: same as one clean second run."""
    def scenario(crash: bool) -> dict:
        with ants_server(emulate=True) as server:
            complete_ants(server)
            con = duckdb.connect()
            run(con, server.url, run_id="r1")
            # Something new: a review on an open PR and a merged PR.
            pr = server.body(f"/repos/{ANTS_REPO}/pulls/158/reviews")
            pr.append({"id": 999000001, "user": {"login": "panjf2000", "id": 7496278, "type": "User"},
                       "body": "late review", "state": "APPROVED", "submitted_at": "2022-05-01T00:00:00Z",
                       "commit_id": "0" * 40, "pull_request_url": f"https://api.github.com/repos/{ANTS_REPO}/pulls/158"})
            if crash:
                with pytest.raises(Crash):
                    run(con, server.url, run_id="r2", event_hooks=crash_after(8))
            run(con, server.url, run_id="r3")
            return snapshot(con, server.url)

    assert scenario(crash=True) == scenario(crash=False)


def test_persistent_malformed_json_fails_naming_the_path():
    with ants_server(emulate=True) as server:
        server.faults = [Fault("truncate", path=r"/pulls$", times=100)]
        with pytest.raises(GithubResponseError) as info:
            run(duckdb.connect(), server.url, max_retries=2)
    msg = str(info.value)
    assert "malformed JSON" in msg and "/repos/panjf2000/ants/pulls?state=all" in msg and "3 attempts" in msg
    assert TOKEN not in msg and info.value.path.startswith("/repos/panjf2000/ants/pulls")


def test_persistent_502_fails_after_retries():
    with ants_server(emulate=True) as server:
        server.faults = [Fault("respond", path=rf"^/repos/{ANTS_REPO}$", times=100, status=502,
                               headers=BAD_GATEWAY.headers, body=BAD_GATEWAY.body)]
        fake = FakeTime()
        with pytest.raises(GithubServerError) as info:
            run(duckdb.connect(), server.url, fake=fake, max_retries=3)
        assert len(server.log) == 4
    assert "HTTP 502" in str(info.value) and "/repos/panjf2000/ants" in str(info.value)
    # Exponential backoff with jitter: 1, 2, 4 s base, each within 50%..150%.
    assert len(fake.sleeps) == 3
    for base, slept in zip([1, 2, 4], fake.sleeps):
        assert 0.5 * base <= slept <= 1.5 * base


def test_401_names_the_variable_and_never_the_token(captured):
    with ants_server(emulate=True, token="ghp_theServerWantsAnotherToken000000000000") as server:
        con = duckdb.connect()
        with pytest.raises(GithubAuthError) as info:
            run(con, server.url)
        assert server.log[0].authorization == f"Bearer {TOKEN}"
        with pytest.raises(GithubAuthError) as anonymous:
            run(con, server.url, token="")
        assert server.log[-1].authorization is None
    msg = str(info.value)
    assert "401" in msg and "Bad credentials" in msg and "GITHUB_TOKEN" in msg and "/repos/panjf2000/ants" in msg
    assert TOKEN not in msg and TOKEN not in repr(info.value.args)
    assert "set GITHUB_TOKEN" in str(anonymous.value)
    assert TOKEN not in captured.text
    assert TOKEN not in json.dumps(info.value.report.as_metadata())


def test_404_repository_is_an_error_naming_it():
    with ants_server(emulate=True) as server:
        ws = workspace(ANTS_WS, {"repo": "panjf2000/no-such-repo"})
        with pytest.raises(GithubNotFoundError) as info:
            run(duckdb.connect(), server.url, ws=ws)
    msg = str(info.value)
    assert "'panjf2000/no-such-repo'" in msg and "sources[1].github.repo" in msg and "workspace 'w'" in msg
    assert "404" in msg and "GITHUB_TOKEN" in msg and TOKEN not in msg


def test_404_organisation_is_an_error_naming_it():
    with ants_server(emulate=True) as server:
        with pytest.raises(GithubNotFoundError) as info:
            run(duckdb.connect(), server.url, ws=workspace({"org": "no-such-org"}))
        # An organisation that is not one may be a user account: both were tried.
        assert [s.path for s in server.log] == ["/orgs/no-such-org/repos", "/users/no-such-org/repos"]
    msg = str(info.value)
    assert "organisation 'no-such-org'" in msg and "sources[0].github.org" in msg and TOKEN not in msg


def test_404_sub_resource_is_logged_and_counted_as_a_gap(captured):
    with ants_server(emulate=True) as server:
        complete_ants(server)
        server.faults = [Fault("respond", path=r"/pulls/41/reviews$", status=404, body={"message": "Not Found"})]
        con = duckdb.connect()
        report = run(con, server.url)
    assert report.completed and report.gap_counts() == {"pull_reviews": 1}
    gap = report.gaps[0]
    assert (gap.repository, gap.path, gap.status) == (ANTS_REPO, "/repos/panjf2000/ants/pulls/41/reviews?per_page=100", 404)
    assert "gap: GET /repos/panjf2000/ants/pulls/41/reviews?per_page=100 answered 404" in captured.text
    # PR 41's reviews are missing; the others are all there.
    recorded = {n: len(b) for n, b in ((int(k.split("_")[4]), b) for k, b in
                recorded_items("repos_panjf2000_ants_pulls_*_reviews__*.json").items())}
    assert recorded[41] > 0
    del recorded[41]
    assert dict(con.execute("select pr_number, count(*) from raw.reviews group by 1").fetchall()) == recorded


def test_environment_supplies_api_url_and_token(monkeypatch):
    with ants_server(emulate=True) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        settings = GithubSettings(api_url="https://github.invalid/api/v3")
        with pytest.raises(GithubNotFoundError):
            ingest_github(duckdb.connect(), workspace({"repo": "panjf2000/no-such-repo"}), settings,
                          since=__import__("datetime").datetime(2020, 1, 1), run_id="env", log=None)
        assert server.log and server.log[0].authorization == f"Bearer {TOKEN}"
