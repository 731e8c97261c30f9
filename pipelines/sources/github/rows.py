"""GitHub REST JSON -> raw-schema rows (plain dicts), and their Arrow types.

Conventions (raw_schema.sql): repositories are lower-case ``owner/name``;
logins are kept as GitHub returns them (staging lower-cases); timestamps are
naive UTC; ``payload`` keeps the item's original JSON. A deleted account
(``user: null``) gives NULL login and id.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

TS = pa.timestamp("us")
# Typed as JSON so that raw_writer.upsert compares payloads as JSON: with a
# plain string column an unchanged payload would be logged as an update.
# (pyarrow < 19 has no JSON type; plain strings still store correctly.)
JSON = pa.json_(pa.string()) if hasattr(pa, "json_") else pa.string()

# Arrow type of every raw column the GitHub source writes.
ARROW_TYPES: dict[str, dict[str, pa.DataType]] = {
    "repositories": {
        "repository": pa.string(),
        "github_id": pa.int64(),
        "is_fork": pa.bool_(),
        "parent": pa.string(),
        "default_branch": pa.string(),
        "source": pa.string(),
        "payload": JSON,
    },
    "workspace_repositories": {"workspace_id": pa.string(), "repository": pa.string()},
    "users": {
        "user_id": pa.int64(),
        "login": pa.string(),
        "type": pa.string(),
        "name": pa.string(),
        "email": pa.string(),
        "payload": JSON,
    },
    "commits": {
        "repository": pa.string(),
        "sha": pa.string(),
        "author_user_id": pa.int64(),
        "author_login": pa.string(),
        "author_name": pa.string(),
        "author_email": pa.string(),
        "authored_at": TS,
        "author_utc_offset_minutes": pa.int32(),
        "committer_login": pa.string(),
        "committer_email": pa.string(),
        "committed_at": TS,
        "message": pa.string(),
        "parent_count": pa.int32(),
        "additions": pa.int32(),
        "deletions": pa.int32(),
        "on_default_branch": pa.bool_(),
        "payload": JSON,
    },
    "commit_files": {
        "repository": pa.string(),
        "sha": pa.string(),
        "path": pa.string(),
        "status": pa.string(),
        "additions": pa.int32(),
        "deletions": pa.int32(),
        "previous_path": pa.string(),
    },
    "pull_requests": {
        "repository": pa.string(),
        "number": pa.int32(),
        "github_id": pa.int64(),
        "author_user_id": pa.int64(),
        "author_login": pa.string(),
        "title": pa.string(),
        "body": pa.string(),
        "state": pa.string(),
        "draft": pa.bool_(),
        "labels": pa.list_(pa.string()),
        "base_ref": pa.string(),
        "head_ref": pa.string(),
        "created_at": TS,
        "updated_at": TS,
        "closed_at": TS,
        "merged_at": TS,
        "merged_by_login": pa.string(),
        "additions": pa.int32(),
        "deletions": pa.int32(),
        "changed_files": pa.int32(),
        "payload": JSON,
    },
    "pull_request_commits": {"repository": pa.string(), "pr_number": pa.int32(), "sha": pa.string()},
    "pull_request_files": {
        "repository": pa.string(),
        "pr_number": pa.int32(),
        "path": pa.string(),
        "status": pa.string(),
        "additions": pa.int32(),
        "deletions": pa.int32(),
    },
    "reviews": {
        "review_id": pa.int64(),
        "repository": pa.string(),
        "pr_number": pa.int32(),
        "reviewer_user_id": pa.int64(),
        "reviewer_login": pa.string(),
        "state": pa.string(),
        "body": pa.string(),
        "submitted_at": TS,
        "commit_id": pa.string(),
        "payload": JSON,
    },
    "review_comments": {
        "comment_id": pa.int64(),
        "repository": pa.string(),
        "pr_number": pa.int32(),
        "review_id": pa.int64(),
        "author_user_id": pa.int64(),
        "author_login": pa.string(),
        "body": pa.string(),
        "path": pa.string(),
        "created_at": TS,
        "updated_at": TS,
        "in_reply_to_id": pa.int64(),
        "payload": JSON,
    },
    "team_members": {"workspace_id": pa.string(), "team_id": pa.string(), "login": pa.string()},
    "file_contents": {
        "repository": pa.string(),
        "path": pa.string(),
        "sha": pa.string(),
        "committed_at": TS,
        "on_default_branch": pa.bool_(),
        "content": pa.string(),
    },
}


def to_arrow(table: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    types = ARROW_TYPES[table]
    return pa.table({c: pa.array([r.get(c) for r in rows], type=types[c]) for c in columns})


def dumps(obj: Any) -> str:
    """The payload text: compact, key order as GitHub sent it, UTF-8 kept."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def ts(value: str | None) -> datetime | None:
    """GitHub ISO-8601 time -> naive UTC datetime."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def iso(dt: datetime) -> str:
    """Naive-UTC (or aware) datetime -> GitHub's ``YYYY-MM-DDTHH:MM:SSZ``."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _login(user: dict | None) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _id(user: dict | None) -> int | None:
    return user.get("id") if isinstance(user, dict) else None


def embedded_user(user: dict | None) -> dict[str, Any] | None:
    """A users row from a user object embedded in another item (no name/email)."""
    if not isinstance(user, dict) or user.get("id") is None or not user.get("login"):
        return None
    return {"user_id": user["id"], "login": user["login"], "type": user.get("type"), "payload": dumps(user)}


def full_user(user: dict) -> dict[str, Any]:
    """A users row from ``GET /users/{login}``."""
    return {
        "user_id": user["id"],
        "login": user["login"],
        "type": user.get("type"),
        "name": user.get("name"),
        "email": user.get("email"),
        "payload": dumps(user),
    }


def repository_row(repo: dict) -> dict[str, Any]:
    parent = repo.get("parent") or repo.get("source")
    return {
        "repository": repo["full_name"].lower(),
        "github_id": repo.get("id"),
        "is_fork": bool(repo.get("fork")),
        "parent": parent["full_name"].lower() if isinstance(parent, dict) and parent.get("full_name") else None,
        "default_branch": repo.get("default_branch"),
        "source": "github",
        "payload": dumps(repo),
    }


def commit_row(repository: str, item: dict, *, payload: dict | None) -> dict[str, Any]:
    """A commits row from a list item or a commit detail (``stats`` when present).

    ``payload`` None leaves the stored payload in place (keep_when_null).
    ``on_default_branch`` is set by the caller for default-branch lists only,
    so a PR listing never clears it.
    """
    c = item.get("commit") or {}
    author = c.get("author") or {}
    committer = c.get("committer") or {}
    stats = item.get("stats") if isinstance(item.get("stats"), dict) else None
    authored = ts(author.get("date")) or ts(committer.get("date"))
    return {
        "repository": repository,
        "sha": item["sha"],
        "author_user_id": _id(item.get("author")),
        "author_login": _login(item.get("author")),
        "author_name": author.get("name"),
        "author_email": author.get("email"),
        "authored_at": authored,
        "author_utc_offset_minutes": None,  # the REST API drops it; the git source keeps it
        "committer_login": _login(item.get("committer")),
        "committer_email": committer.get("email"),
        "committed_at": ts(committer.get("date")),
        "message": c.get("message"),
        "parent_count": len(item.get("parents") or []),
        "additions": stats.get("additions") if stats else None,
        "deletions": stats.get("deletions") if stats else None,
        "payload": dumps(payload) if payload is not None else None,
    }


def commit_detail_payload(detail: dict) -> dict:
    """The commit detail as stored: the original JSON without per-file ``patch`` text.

    Patches can be megabytes per commit and the files are in raw.commit_files;
    everything else GitHub sent is kept.
    """
    files = detail.get("files")
    if not isinstance(files, list):
        return detail
    out = dict(detail)
    out["files"] = [{k: v for k, v in f.items() if k != "patch"} for f in files]
    return out


def commit_file_rows(repository: str, sha: str, files: list[dict]) -> list[dict[str, Any]]:
    return [
        {
            "repository": repository,
            "sha": sha,
            "path": f["filename"],
            "status": f.get("status"),
            "additions": f.get("additions"),
            "deletions": f.get("deletions"),
            "previous_path": f.get("previous_filename"),
        }
        for f in files
        if f.get("filename")
    ]


def file_content_row(
    repository: str, path: str, sha: str, committed_at: datetime, on_default_branch: bool, content: str | None
) -> dict[str, Any]:
    """A raw.file_contents row: a dependency manifest as of commit ``sha`` (NULL: deleted or unreadable)."""
    return {
        "repository": repository,
        "path": path,
        "sha": sha,
        "committed_at": committed_at,
        "on_default_branch": bool(on_default_branch),
        "content": content,
    }


def pull_request_row(repository: str, pr: dict, *, single: bool) -> dict[str, Any]:
    """A pull_requests row from a list item, or from ``GET /pulls/{n}`` (``single``).

    List items lack additions/deletions/changed_files/merged_by: they are
    NULL here and the stored values are kept (keep_when_null).
    """
    base = pr.get("base") or {}
    head = pr.get("head") or {}
    return {
        "repository": repository,
        "number": pr["number"],
        "github_id": pr.get("id"),
        "author_user_id": _id(pr.get("user")),
        "author_login": _login(pr.get("user")),
        "title": pr.get("title"),
        "body": pr.get("body"),
        "state": pr.get("state"),
        "draft": pr.get("draft"),
        "labels": [lb.get("name") for lb in pr.get("labels") or [] if isinstance(lb, dict)],
        "base_ref": base.get("ref"),
        "head_ref": head.get("ref"),
        "created_at": ts(pr.get("created_at")),
        "updated_at": ts(pr.get("updated_at")),
        "closed_at": ts(pr.get("closed_at")),
        "merged_at": ts(pr.get("merged_at")),
        "merged_by_login": _login(pr.get("merged_by")) if single else None,
        "additions": pr.get("additions") if single else None,
        "deletions": pr.get("deletions") if single else None,
        "changed_files": pr.get("changed_files") if single else None,
        "payload": dumps(pr),
    }


def pull_request_file_rows(repository: str, number: int, files: list[dict]) -> list[dict[str, Any]]:
    return [
        {
            "repository": repository,
            "pr_number": number,
            "path": f["filename"],
            "status": f.get("status"),
            "additions": f.get("additions"),
            "deletions": f.get("deletions"),
        }
        for f in files
        if f.get("filename")
    ]


def review_row(repository: str, number: int, review: dict) -> dict[str, Any]:
    return {
        "review_id": review["id"],
        "repository": repository,
        "pr_number": number,
        "reviewer_user_id": _id(review.get("user")),
        "reviewer_login": _login(review.get("user")),
        "state": review.get("state"),
        "body": review.get("body"),
        "submitted_at": ts(review.get("submitted_at")),
        "commit_id": review.get("commit_id"),
        "payload": dumps(review),
    }


_PR_URL = re.compile(r"/pulls/(\d+)/?$")


def pr_number_from_url(url: str | None) -> int | None:
    m = _PR_URL.search(url or "")
    return int(m.group(1)) if m else None


def review_comment_row(repository: str, comment: dict) -> dict[str, Any] | None:
    number = pr_number_from_url(comment.get("pull_request_url"))
    if number is None:
        return None
    return {
        "comment_id": comment["id"],
        "repository": repository,
        "pr_number": number,
        "review_id": comment.get("pull_request_review_id"),
        "author_user_id": _id(comment.get("user")),
        "author_login": _login(comment.get("user")),
        "body": comment.get("body"),
        "path": comment.get("path"),
        "created_at": ts(comment.get("created_at")),
        "updated_at": ts(comment.get("updated_at")),
        "in_reply_to_id": comment.get("in_reply_to_id"),
        "payload": dumps(comment),
    }
