"""A small asynchronous GitHub REST client that is a good API citizen.

- Bounded concurrency: at most ``concurrency`` requests are in flight.
- ``Link`` headers are followed exactly as given (GitHub's cursors, such as
  ``/repositories/{id}/commits?...&last_sha=...``, are opaque).
- ``If-None-Match`` with a stored ETag; a 304 costs no rate limit.
- Primary rate limit (403/429 with ``x-ratelimit-remaining: 0``): every
  request pauses until ``x-ratelimit-reset``; the pause and the resume are
  logged. Secondary limit (403/429 with ``retry-after``, or GitHub's
  "secondary rate limit" message): pause for ``retry-after`` seconds.
- 5xx, connection errors and malformed JSON bodies are retried with
  exponential backoff and jitter, then fail with a clear message naming the
  path.
- 401 raises :class:`GithubAuthError`. Other 4xx are returned to the caller,
  which decides whether it is fatal (an organisation or repository) or a gap
  (a sub-resource).

Sleeping and the wall clock are injectable (``ClientOptions``) so tests run
the real client over real HTTP without waiting.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import re
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from .errors import (
    GithubAuthError,
    GithubRateLimitError,
    GithubResponseError,
    GithubServerError,
    redact,
)

LogFn = Callable[[str, str], None]  # (level, message)

_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')


@dataclass
class ClientOptions:
    """Tuning knobs; the defaults suit api.github.com."""

    timeout_seconds: float = 30.0
    max_retries: int = 5  # 5xx, connection errors and malformed JSON, per request
    max_rate_limit_waits: int = 20  # per request
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    secondary_limit_default_seconds: float = 60.0
    # Multiplies every sleep (rate-limit pauses and backoff); 0 never sleeps.
    time_scale: float = 1.0
    # async sleep(seconds), called with already-scaled seconds.
    sleep: Callable[[float], Awaitable[None]] | None = None
    # Wall clock in epoch seconds (compared with x-ratelimit-reset).
    clock: Callable[[], float] = time.time
    per_page: int = 100
    user_agent: str = "devlens-ingest"
    # Passed to httpx.AsyncClient: e.g. request hooks for progress or tests.
    event_hooks: dict[str, list[Callable[..., Any]]] | None = None
    transport: httpx.AsyncBaseTransport | None = None


@dataclass
class ClientStats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    by_status: Counter = field(default_factory=Counter)


@dataclass
class Response:
    status: int
    url: str  # the URL requested (absolute)
    path: str  # path and query, for messages
    data: Any = None  # parsed JSON body (None for 304)
    etag: str | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def next_url(self) -> str | None:
        return self.links.get("next")

    @property
    def message(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("message"), str):
            return self.data["message"]
        return ""


def parse_link_header(value: str | None, base_url: str) -> dict[str, str]:
    """``{rel: url}`` from a Link header; URLs kept verbatim (relative ones resolved)."""
    links: dict[str, str] = {}
    if not value:
        return links
    for url, rels in _LINK_RE.findall(value):
        for rel in rels.split():
            links.setdefault(rel, urljoin(base_url, url))
    return links


def display_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and metadata."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return parts._replace(netloc=host).geturl()
    return url


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class GithubClient:
    """One per ingest run; use as ``async with GithubClient(...) as client``."""

    def __init__(
        self,
        api_url: str,
        token: str | None,
        *,
        concurrency: int = 4,
        options: ClientOptions | None = None,
        log: LogFn | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self.display_url = display_url(self.api_url)
        self._token = token or None
        self.options = options or ClientOptions()
        self.stats = ClientStats()
        self._log = log or (lambda level, msg: None)
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._resume_at = 0.0  # epoch seconds (options.clock) before which nobody sends
        self._gate_lock = asyncio.Lock()
        self._random = random.Random()
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": self.options.user_agent,
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        kwargs: dict[str, Any] = {
            "headers": headers,
            "verify": _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
            "timeout": httpx.Timeout(self.options.timeout_seconds),
            "follow_redirects": True,
            "limits": httpx.Limits(max_connections=max(1, concurrency), max_keepalive_connections=max(1, concurrency)),
        }
        if self.options.event_hooks:
            kwargs["event_hooks"] = self.options.event_hooks
        if self.options.transport is not None:
            kwargs["transport"] = self.options.transport
        self._http = httpx.AsyncClient(**kwargs)

    async def __aenter__(self) -> "GithubClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self._http.aclose()

    # -- helpers -------------------------------------------------------------

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """An absolute URL for an API path (``/repos/o/r``) and query parameters."""
        url = path if path.startswith(("http://", "https://")) else f"{self.display_url}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def _say(self, level: str, message: str) -> None:
        self._log(level, redact(message, self._token))

    async def _sleep(self, seconds: float) -> None:
        scaled = max(0.0, seconds) * self.options.time_scale
        if self.options.sleep is not None:
            await self.options.sleep(scaled)
        elif scaled > 0:
            await asyncio.sleep(scaled)
        else:
            await asyncio.sleep(0)

    async def _wait_gate(self) -> None:
        """Wait while a rate-limit pause set by any request is in force."""
        remaining = self._resume_at - self.options.clock()
        if remaining > 0:
            await self._sleep(remaining)

    async def _pause(self, seconds: float, reason: str, path: str) -> None:
        """Pause every request for ``seconds``; counted and logged once per pause."""
        seconds = max(1.0, seconds)
        setter = False
        async with self._gate_lock:
            until = self.options.clock() + seconds
            if until > self._resume_at:  # else another request already paused longer
                setter = True
                self._resume_at = until
                self.stats.rate_limit_waits += 1
                self.stats.rate_limit_wait_seconds += seconds
                resume = datetime.fromtimestamp(until, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
                self._say(
                    "warning",
                    f"GitHub {reason} on GET {path}: pausing requests for {seconds:.0f} s, "
                    f"resuming at {resume}",
                )
        await self._wait_gate()
        if setter:
            self._say("info", f"resuming GitHub requests after the {reason} pause")

    def _backoff(self, attempt: int) -> float:
        base = min(self.options.backoff_cap_seconds, self.options.backoff_base_seconds * (2**attempt))
        return base * (0.5 + self._random.random())  # jitter: 50%..150%

    # -- the request loop ------------------------------------------------------

    async def get(self, path_or_url: str, *, params: dict[str, Any] | None = None, etag: str | None = None) -> Response:
        """GET one resource: retries, rate limits and conditional requests handled.

        Returns 2xx (``data`` parsed), 304, or a 4xx other than 401 for the
        caller to judge. Raises on 401 and when retries are exhausted.
        """
        url = self.url(path_or_url, params)
        path = path_of(url)
        headers = {"If-None-Match": etag} if etag else None
        retries = 0
        waits = 0
        while True:
            await self._wait_gate()
            async with self._semaphore:
                self.stats.requests += 1
                try:
                    resp = await self._http.get(url, headers=headers)
                    body = resp.content  # read fully; a short body raises here
                except (httpx.TransportError, httpx.DecodingError) as e:
                    resp = None
                    error = f"{type(e).__name__}"
                    detail = str(e)
            if resp is None:
                retries = await self._retry(retries, path, f"connection error ({error}: {detail})")
                continue
            status = resp.status_code
            self.stats.by_status[status] += 1
            if status == 304:
                self.stats.not_modified += 1
                return Response(304, url, path, etag=resp.headers.get("etag") or etag)

            limited = self._rate_limit_wait(resp, body)
            if limited is not None:
                seconds, reason = limited
                waits += 1
                if waits > self.options.max_rate_limit_waits:
                    raise GithubRateLimitError(
                        redact(
                            f"GitHub {reason} persisted through {waits - 1} waits on GET {path}; "
                            "try again later or use a token with a higher limit",
                            self._token,
                        ),
                        path=path,
                        status=status,
                    )
                await self._pause(seconds, reason, path)
                continue

            if status >= 500:
                retries = await self._retry(retries, path, f"HTTP {status}", status=status)
                continue

            data: Any = None
            if body:
                try:
                    data = json.loads(body)
                except ValueError:
                    if 200 <= status < 300:
                        retries = await self._retry(
                            retries, path, f"malformed JSON body ({len(body)} bytes)", malformed=True
                        )
                        continue
                    data = None
            elif 200 <= status < 300 and status != 204:
                retries = await self._retry(retries, path, "empty body", malformed=True)
                continue

            if status == 401:
                message = data.get("message") if isinstance(data, dict) else None
                if self._token:
                    hint = (
                        "check GITHUB_TOKEN: it is not accepted (wrong, expired or revoked), "
                        "or it is not valid for this API URL"
                    )
                else:
                    hint = "this API requires authentication: set GITHUB_TOKEN"
                raise GithubAuthError(
                    redact(
                        f"GitHub answered 401 ({message or 'Unauthorized'}) to GET {path} at {self.display_url}: {hint}",
                        self._token,
                    ),
                    path=path,
                    status=401,
                )
            links = parse_link_header(resp.headers.get("link"), url)
            self._note_remaining(resp, path)
            return Response(status, url, path, data=data, etag=resp.headers.get("etag"), links=links)

    async def _retry(
        self, retries: int, path: str, what: str, *, status: int | None = None, malformed: bool = False
    ) -> int:
        if retries >= self.options.max_retries:
            if malformed:
                raise GithubResponseError(
                    redact(
                        f"GitHub returned a {what} for GET {path} on {retries + 1} attempts; "
                        "the response is truncated or not JSON (a proxy in between?)",
                        self._token,
                    ),
                    path=path,
                    status=status,
                )
            raise GithubServerError(
                redact(
                    f"GET {path} failed after {retries + 1} attempts: {what}; "
                    f"check that {self.display_url} is reachable and healthy (https://www.githubstatus.com)",
                    self._token,
                ),
                path=path,
                status=status,
            )
        delay = self._backoff(retries)
        self.stats.retries += 1
        self._say("warning", f"GET {path}: {what}; retry {retries + 1}/{self.options.max_retries} in {delay:.1f} s")
        await self._sleep(delay)
        return retries + 1

    def _rate_limit_wait(self, resp: httpx.Response, body: bytes) -> tuple[float, str] | None:
        """(seconds, reason) when the response is a primary or secondary limit."""
        status = resp.status_code
        if status not in (403, 429):
            return None
        h = resp.headers
        retry_after = _float(h.get("retry-after"))
        if h.get("x-ratelimit-remaining") == "0":
            reset = _float(h.get("x-ratelimit-reset"))
            if reset is not None:
                return reset - self.options.clock() + 1.0, "primary rate limit"
            return retry_after or self.options.secondary_limit_default_seconds, "primary rate limit"
        if retry_after is not None:
            return retry_after, "secondary rate limit"
        text = body[:2000].decode("utf-8", "replace").lower()
        if status == 429 or "rate limit" in text or "abuse" in text:
            return self.options.secondary_limit_default_seconds, "secondary rate limit"
        return None

    def _note_remaining(self, resp: httpx.Response, path: str) -> None:
        """A successful answer with nothing left: pause the next requests until the reset."""
        if resp.headers.get("x-ratelimit-remaining") == "0":
            reset = _float(resp.headers.get("x-ratelimit-reset"))
            if reset is not None and reset > self.options.clock():
                # Do not await here: the next request waits at the gate.
                until = reset + 1.0
                if until > self._resume_at:
                    self._resume_at = until
                    self.stats.rate_limit_waits += 1
                    self.stats.rate_limit_wait_seconds += until - self.options.clock()
                    resume = datetime.fromtimestamp(until, tz=timezone.utc).strftime("%H:%M:%S UTC")
                    self._say("warning", f"GitHub rate limit used up after GET {path}; next requests wait until {resume}")


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's default verifying context, built once per process (loading the
    CA bundle takes a noticeable fraction of a second)."""
    return httpx.create_ssl_context()


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
