"""Opaque cursors for ``limit`` / ``cursor`` pagination."""

from __future__ import annotations

import base64
import json

from .errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # a cursor we made never says more; a forged one must not reach SQL as an overflow


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "invalid cursor: pass back the next_cursor of a previous response") from None


def next_cursor(offset: int, limit: int, returned: int, has_more: bool) -> str | None:
    return encode_cursor(offset + returned) if has_more else None


def paginate(items: list, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of an in-memory list and the cursor of the next page (None on the last)."""
    offset = decode_cursor(cursor)
    page = items[offset:offset + limit]
    return page, next_cursor(offset, limit, len(page), offset + limit < len(items))
