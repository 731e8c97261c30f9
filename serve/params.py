"""Path and query parameters shared by the routes, with their validation.

Every parameter is typed and bounded here, so FastAPI answers a wrong type,
enum or range with 422 before a route runs.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator

from .pagination import DEFAULT_LIMIT, MAX_LIMIT
from .schemas import PeriodType

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value):
    # pydantic would also read "0" or "1700000000" as a date (a Unix time): API.md
    # says a plain ISO date, so anything else is a 422 before it reaches a route.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("expected an ISO date, YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

WorkspaceId = Annotated[str, Path(description="The workspace id from devlens.yaml", max_length=100)]
DeveloperId = Annotated[
    str, Path(description="A GitHub login, or an email for an unlinked identity; case-insensitive", max_length=320)
]
TeamId = Annotated[str, Path(description="A team id (configured, or a GitHub team slug)", max_length=100)]
PeriodTypeQ = Annotated[PeriodType, Query(description="daily | weekly | biweekly | monthly")]
PeriodStartQ = Annotated[
    IsoDate | None,
    Query(description="ISO date of a period start for the period type; default: the latest computed period"),
]
LimitQ = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT}, max {MAX_LIMIT})")]
CursorQ = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
DateFromQ = Annotated[IsoDate | None, Query(alias="from", description="first period start (inclusive), YYYY-MM-DD")]
DateToQ = Annotated[IsoDate | None, Query(alias="to", description="last period start (inclusive), YYYY-MM-DD")]
