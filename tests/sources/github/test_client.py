"""The HTTP client on its own: Link parsing, quota pauses, time scale, limits."""

from __future__ import annotations

import asyncio
import time

import pytest

from pipelines.sources.github import ClientOptions, GithubClient, GithubRateLimitError
from pipelines.sources.github.client import display_url, parse_link_header

from .conftest import TOKEN, FakeTime
from .replay import FIXTURES, ANTS_REPO, Exchange, Fault, ants_server


def test_link_header_as_recorded_is_kept_verbatim():
    ex = Exchange.load(FIXTURES / "exchanges" / "repo_commits_page1_link.json")
    links = parse_link_header(ex.headers["link"], "https://api.github.com/repos/sigmavirus24/github3.py/commits")
    assert links == {
        "next": "https://api.github.com/repositories/3710711/commits?per_page=25&page=2",
        "last": "https://api.github.com/repositories/3710711/commits?per_page=25&page=111",
    }
    assert parse_link_header('</x?page=2>; rel="next"', "https://h.example/api/v3/y") == {
        "next": "https://h.example/x?page=2"}
    assert parse_link_header(None, "https://h") == {}


def test_credentials_in_the_api_url_are_never_shown():
    assert display_url("https://bot:s3cret@ghe.example.com:8443/api/v3") == "https://ghe.example.com:8443/api/v3"
    assert display_url("https://api.github.com") == "https://api.github.com"


def _get_twice(server_url: str, fake: FakeTime, **options) -> tuple[list, GithubClient]:
    async def go():
        async with GithubClient(server_url, TOKEN, options=ClientOptions(sleep=fake.sleep, clock=fake.clock, **options)) as c:
            a = await c.get(f"/repos/{ANTS_REPO}")
            b = await c.get(f"/repos/{ANTS_REPO}")
            return [a, b], c
    return asyncio.run(go())


def test_used_up_quota_pauses_the_next_request_until_the_reset():
    fake = FakeTime()
    with ants_server() as server:
        server.faults = [Fault("respond", nth=1, status=200, body={"full_name": ANTS_REPO},
                               headers=lambda: {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(fake.now) + 30)})]
        (first, second), client = _get_twice(server.url, fake)
    assert first.status == 200 and second.status == 200
    assert fake.sleeps == [31.0]  # the second request waited until the reset, plus a second of margin
    assert client.stats.rate_limit_waits == 1


def test_time_scale_zero_never_really_sleeps():
    with ants_server() as server:
        server.faults = [Fault("respond", nth=1, status=403, headers={"retry-after": "3600"},
                               body={"message": "You have exceeded a secondary rate limit."})]

        async def go():
            async with GithubClient(server.url, TOKEN, options=ClientOptions(time_scale=0)) as c:
                return await c.get(f"/repos/{ANTS_REPO}"), c

        started = time.monotonic()
        resp, client = asyncio.run(go())
    assert resp.status == 200 and time.monotonic() - started < 5
    assert client.stats.rate_limit_waits == 1 and client.stats.rate_limit_wait_seconds == 3600


def test_a_limit_that_never_lifts_stops_with_a_clear_error():
    fake = FakeTime()
    with ants_server() as server:
        server.faults = [Fault("respond", path=".", times=100, status=429, headers={"retry-after": "5"},
                               body={"message": "You have exceeded a secondary rate limit."})]
        with pytest.raises(GithubRateLimitError) as info:
            _get_twice(server.url, fake, max_rate_limit_waits=2)
    assert "secondary rate limit persisted through 2 waits on GET /repos/panjf2000/ants" in str(info.value)
    assert fake.sleeps == [5.0, 5.0] and TOKEN not in str(info.value)
