"""The GitHub REST source: repositories, commits, pull requests, reviews,
review comments, teams and users into the raw schema.

Entry points: :func:`ingest_github` and :func:`estimate_budget`.
"""

from .budget import BudgetEstimate, RepoProbe, estimate_budget
from .client import ClientOptions, ClientStats, GithubClient
from .errors import (
    GithubAuthError,
    GithubNotFoundError,
    GithubRateLimitError,
    GithubResponseError,
    GithubServerError,
    GithubSourceError,
)
from .ingest import Gap, IngestReport, TableCounts, ingest_github

__all__ = [
    "BudgetEstimate",
    "ClientOptions",
    "ClientStats",
    "Gap",
    "GithubAuthError",
    "GithubClient",
    "GithubNotFoundError",
    "GithubRateLimitError",
    "GithubResponseError",
    "GithubServerError",
    "GithubSourceError",
    "IngestReport",
    "RepoProbe",
    "TableCounts",
    "estimate_budget",
    "ingest_github",
]
