"""Errors the GitHub source raises for problems the user must act on.

Everything else (a 404 on a pull request's sub-resource, a user that no
longer exists) is a *gap*: logged, counted in the run report and skipped.
No message ever contains the token: every message is built from the request
path and GitHub's own error text, then passed through :func:`redact`.
"""

from __future__ import annotations


class GithubSourceError(RuntimeError):
    """The GitHub ingest cannot continue; the message says what to check."""

    def __init__(self, message: str, *, path: str | None = None, status: int | None = None):
        super().__init__(message)
        self.path = path
        self.status = status


class GithubAuthError(GithubSourceError):
    """401: the token is missing, wrong, expired or revoked."""


class GithubNotFoundError(GithubSourceError):
    """404 (or 403) on an organisation or repository named in the config."""


class GithubServerError(GithubSourceError):
    """5xx or connection errors persisted through every retry."""


class GithubResponseError(GithubSourceError):
    """GitHub kept answering with a body that is not valid JSON."""


class GithubRateLimitError(GithubSourceError):
    """The rate limit did not lift after the configured number of waits."""


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    if secret and secret in text:
        return text.replace(secret, "***")
    return text
