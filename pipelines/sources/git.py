"""The git source: ingest a local clone (bare or not) into the raw schema.

``ingest_git`` runs ``git log`` over the commits reachable from ``HEAD`` (the
repository's default branch) plus any extra refs the source config names
(METRICS.md 8.1), and writes ``raw.repositories``,
``raw.workspace_repositories``, ``raw.commits`` and ``raw.commit_files``
through :func:`pipelines.warehouse.raw_writer.upsert`.

How it reads git
----------------
One ``git log -z --raw --numstat -M`` process per walk, read from a pipe and
parsed token by token (NUL-separated), upserted every ``batch_size`` commits:
a whole history is never held in memory. With ``-z`` git prints paths
unquoted and a rename as separate old and new paths, so names containing
tabs, newlines, non-ASCII or `` => `` are read exactly; the new path of a
rename is the one recorded. ``--raw`` supplies each file's status from the
same diff at no extra cost.

What lands
----------
- ``authored_at`` is the author epoch as a naive UTC timestamp;
  ``author_utc_offset_minutes`` comes from the raw ``%ad`` (``--date=raw``,
  epoch and offset as written in the commit). An offset git cannot express as
  a real time zone (``+51800``, ``+1500``, minutes >= 60) is stored as NULL
  with a warning naming the SHA; the commit is kept with its UTC time. An
  author date git cannot read at all falls back to the committer date, with a
  warning; a commit without any usable date is skipped, with a warning.
  Malformed data never stops a run.
- ``additions`` / ``deletions`` are numstat sums; a binary file (``-``)
  counts 0. Git shows no diff for a merge commit by default, so a merge has
  no ``commit_files`` rows and NULL additions/deletions ("not computed", which
  also keeps stats another source may have stored).
- ``message`` is the full message (trailers such as ``Co-authored-by:``
  included) with the trailing newline git stores removed, as GitHub shows it.
- ``author_user_id``, ``author_login``, ``committer_login`` and ``payload``
  are not written: git has no GitHub accounts. They are NULL for a git-only
  repository and keep whatever the GitHub source stored for the same
  repository. Emails, GitHub noreply ones included, are stored as written;
  staging resolves them through the identity map (METRICS.md 8.2).
- ``on_default_branch`` is true for commits reachable from ``HEAD``.
- A repository already recorded by another source (GitHub) keeps its
  ``raw.repositories`` row; only its workspace membership is written.

Incremental runs
----------------
``raw.ingest_cursors`` (source ``git``, the repository, entity ``commits``)
remembers the ``HEAD`` and ref tips of the last successful run. The next run
walks ``HEAD ^old_head`` (so branch commits merged since then are re-flagged
``on_default_branch``) and ``refs ^HEAD ^old_ref_tips``. When the old head is
gone or no longer an ancestor of ``HEAD`` (a force-push or reset), it walks
everything again. Re-running after a crash repeats the walk; the upsert makes
that harmless. Commits dropped from history by a force-push stay in raw.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import duckdb
import pyarrow as pa

from pipelines.config import GitRef
from pipelines.warehouse.raw_writer import UpsertResult, ensure_raw_schema, upsert

__all__ = ["GitIngestReport", "GitSourceError", "ingest_git", "parse_utc_offset"]

SOURCE = "git"
CURSOR_ENTITY = "commits"
MAX_LISTED_WARNINGS = 1000
# The largest real UTC offsets are -12:00 and +14:00.
MAX_OFFSET_MINUTES = 14 * 60

_EPOCH = datetime(1970, 1, 1)
_MARKER = b"\x1eDEVLENS-COMMIT"
# Fields after the marker, each followed by NUL. The message goes last.
_FIELDS = ("sha", "parents", "author_name", "author_email", "author_date",
           "author_epoch", "committer_email", "committer_date", "committer_epoch", "message")
_FORMAT = "%x1eDEVLENS-COMMIT%x00" + "%x00".join(
    ["%H", "%P", "%an", "%ae", "%ad", "%at", "%ce", "%cd", "%ct", "%B"]
)
_LOG_ARGS = [
    "log", "-z", "--raw", "--numstat", "-M", "--root", "--date=raw", f"--format={_FORMAT}",
    "--encoding=UTF-8", "--no-color", "--no-ext-diff", "--no-textconv",
    "--no-relative", "--no-show-signature",
]
_NUMSTAT = re.compile(rb"(\d+|-)\t(\d+|-)\t(.*)\Z", re.S)
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")
_OFFSET = re.compile(r"([+-])(\d\d)(\d\d)\Z")
# GitHub's file status vocabulary, so both sources agree.
_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed",
           "C": "copied", "T": "changed", "U": "unmerged"}
# Variables that would point git at another repository than the one configured.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
                      "GIT_PREFIX", "GIT_CEILING_DIRECTORIES")

_COMMIT_SCHEMA = pa.schema([
    ("repository", pa.string()),
    ("sha", pa.string()),
    ("author_name", pa.string()),
    ("author_email", pa.string()),
    ("authored_at", pa.timestamp("us")),
    ("author_utc_offset_minutes", pa.int32()),
    ("committer_email", pa.string()),
    ("committed_at", pa.timestamp("us")),
    ("message", pa.string()),
    ("parent_count", pa.int32()),
    ("additions", pa.int64()),
    ("deletions", pa.int64()),
    ("on_default_branch", pa.bool_()),
])
_FILE_SCHEMA = pa.schema([
    ("repository", pa.string()),
    ("sha", pa.string()),
    ("path", pa.string()),
    ("status", pa.string()),
    ("additions", pa.int64()),
    ("deletions", pa.int64()),
])


class GitSourceError(RuntimeError):
    """The configured path is not a readable git repository, or git failed."""


@dataclass
class GitIngestReport:
    repository: str
    path: str
    default_branch: str | None = None
    head: str | None = None
    full_walk: bool = True
    commits_seen: int = 0
    commits_inserted: int = 0
    commits_updated: int = 0
    files_seen: int = 0
    files_inserted: int = 0
    files_updated: int = 0
    warnings: list[str] = field(default_factory=list)
    warnings_total: int = 0


# ---------------------------------------------------------------- git process


class _Git:
    """Runs git in one repository, isolated from GIT_DIR and parent repos."""

    def __init__(self, path: str | os.PathLike):
        given = Path(path).expanduser()
        if not given.is_dir():
            raise GitSourceError(f"git source path {str(path)!r} does not exist or is not a directory")
        self.path = given.resolve()
        env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
        # Never discover a repository above the configured folder.
        env["GIT_CEILING_DIRECTORIES"] = str(self.path.parent)
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["LC_ALL"] = "C"
        self.env = env
        out = self.run("rev-parse", "--git-dir", check=False)
        if out.returncode != 0:
            raise GitSourceError(
                f"git source path {str(path)!r} is not a git repository (bare or not): "
                f"{out.stderr.strip() or 'git rev-parse failed'}"
            )

    def command(self, *args: str) -> list[str]:
        return ["git", "--no-replace-objects", "-C", str(self.path), *args]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            out = subprocess.run(self.command(*args), env=self.env, capture_output=True,
                                 text=True, errors="replace")
        except FileNotFoundError:
            raise GitSourceError("the 'git' executable was not found on PATH") from None
        if check and out.returncode != 0:
            raise GitSourceError(f"git {' '.join(args)} failed in {self.path}: {out.stderr.strip()}")
        return out

    def resolve(self, rev: str) -> str | None:
        """The commit SHA ``rev`` names, or None."""
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options",
                       f"{rev}^{{commit}}", check=False)
        sha = out.stdout.strip()
        return sha if out.returncode == 0 and _SHA.match(sha) else None

    def default_branch(self) -> str | None:
        out = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        if out.returncode != 0:
            return None  # a detached HEAD names no branch
        return out.stdout.strip() or None

    def is_ancestor(self, old: str, new: str) -> bool:
        return self.run("merge-base", "--is-ancestor", old, new, check=False).returncode == 0

    def log(self, revisions: list[str], on_token_error: Callable[[str], None]) -> Iterator["_LogEntry"]:
        """Stream the commits of ``git log <revisions>``; raises if git fails."""
        with tempfile.TemporaryFile() as stderr:
            try:
                proc = subprocess.Popen(self.command(*_LOG_ARGS, *revisions, "--"),
                                        env=self.env, stdout=subprocess.PIPE, stderr=stderr)
            except FileNotFoundError:
                raise GitSourceError("the 'git' executable was not found on PATH") from None
            completed = False
            try:
                yield from _parse_log(_tokens(proc.stdout), on_token_error)
                completed = True
            finally:
                if not completed:
                    proc.kill()
                proc.stdout.close()
                code = proc.wait()
            if code != 0:
                stderr.seek(0)
                message = stderr.read().decode("utf-8", "replace").strip()
                raise GitSourceError(f"git log failed in {self.path} (exit {code}): {message}")


def _tokens(stream: IO[bytes], chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The NUL-separated tokens of ``stream``, read incrementally."""
    pending: list[bytes] = []
    while chunk := stream.read(chunk_size):
        parts = chunk.split(b"\0")
        if len(parts) == 1:
            pending.append(chunk)
            continue
        pending.append(parts[0])
        yield b"".join(pending)
        yield from parts[1:-1]
        pending = [parts[-1]]
    tail = b"".join(pending)
    if tail:
        yield tail


# ---------------------------------------------------------------- parsing


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


@dataclass
class _LogEntry:
    sha: str
    parents: str
    author_name: str
    author_email: str
    author_date: str
    author_epoch: str
    committer_email: str
    committer_date: str
    committer_epoch: str
    message: str
    # path -> [additions, deletions] (None when only --raw listed it)
    files: dict[str, list] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)


def _parse_log(tokens: Iterable[bytes], warn: Callable[[str], None]) -> Iterator[_LogEntry]:
    """Parse ``git log -z --raw --numstat --format=<_FORMAT>`` output.

    Each commit is the marker, the header fields, then its diff: ``--raw``
    entries (``:modes shas STATUS`` then one path, two for R/C) and numstat
    entries (``adds<TAB>dels<TAB>path``, or ``adds<TAB>dels<TAB>`` then the old
    and new path for a rename). Paths are consumed by position, so no path
    can be mistaken for a marker.
    """
    it = iter(tokens)
    current: _LogEntry | None = None
    for token in it:
        head = token.lstrip(b"\n")
        if head == _MARKER:
            if current is not None:
                yield current
            values = [next(it, None) for _ in _FIELDS]
            if values[-1] is None:
                warn("git log output ended inside a commit header; the rest was ignored")
                return
            current = _LogEntry(*(_text(v) for v in values))
            continue
        if not head:
            continue
        if current is None:
            warn(f"unexpected git log output {head[:80]!r}; ignored")
            continue
        if head.startswith(b":"):
            meta = head[1:].split(b" ")
            status = _text(meta[-1]) if len(meta) >= 5 else ""
            paths = [next(it, b"") for _ in range(2 if status[:1] in ("R", "C") else 1)]
            current.statuses[_text(paths[-1])] = status[:1]
            continue
        match = _NUMSTAT.match(head)
        if match:
            adds, dels, path = match.groups()
            if not path:
                next(it, b"")  # the old path of a rename or copy
                path = next(it, b"")
            counts = current.files.setdefault(_text(path), [0, 0])
            counts[0] += 0 if adds == b"-" else int(adds)  # '-': a binary file
            counts[1] += 0 if dels == b"-" else int(dels)
            continue
        warn(f"unexpected git log output {head[:80]!r} after commit {current.sha}; ignored")
    if current is not None:
        yield current


def parse_utc_offset(text: str) -> int | None:
    """``+0130`` -> 90, ``-0500`` -> -300; None for anything that is not a real offset."""
    match = _OFFSET.match(text.strip())
    if not match:
        return None
    sign, hours, minutes = match.groups()
    if int(minutes) >= 60:
        return None
    total = int(hours) * 60 + int(minutes)
    if total > MAX_OFFSET_MINUTES:
        return None
    return -total if sign == "-" else total


def _from_epoch(text: str) -> datetime | None:
    try:
        return _EPOCH + timedelta(seconds=int(text.strip()))
    except (ValueError, OverflowError):
        return None


def _author_time(entry: _LogEntry, warn: Callable[[str], None]) -> tuple[datetime | None, int | None]:
    """(authored_at as naive UTC, offset in minutes or None)."""
    authored_at = _from_epoch(entry.author_epoch)
    raw = entry.author_date.split()
    if authored_at is None:
        committed_at = _from_epoch(entry.committer_epoch)
        if committed_at is None:
            warn(f"commit {entry.sha}: neither its author date {entry.author_epoch!r} nor its "
                 f"committer date {entry.committer_epoch!r} is readable; skipped")
            return None, None
        warn(f"commit {entry.sha}: author date is missing or unreadable; "
             f"kept with its committer time {committed_at.isoformat()} UTC and no UTC offset")
        return committed_at, None
    # git prints "0 +0000" for %ad when the epoch overflows its own range:
    # the offset is only trusted when the raw date agrees with %at.
    if len(raw) != 2 or raw[0] != entry.author_epoch.strip():
        warn(f"commit {entry.sha}: author date {entry.author_date!r} has no readable UTC offset; "
             f"kept with UTC time {authored_at.isoformat()} and no offset")
        return authored_at, None
    offset = parse_utc_offset(raw[1])
    if offset is None:
        warn(f"commit {entry.sha}: malformed author UTC offset {raw[1]!r}; "
             f"kept with UTC time {authored_at.isoformat()} and no offset")
    return authored_at, offset


def _rows(entry: _LogEntry, repository: str, on_default_branch: bool,
          warn: Callable[[str], None]) -> tuple[dict | None, list[dict]]:
    if not _SHA.match(entry.sha):
        warn(f"git log gave an unreadable commit id {entry.sha[:80]!r}; skipped")
        return None, []
    authored_at, offset = _author_time(entry, warn)
    if authored_at is None:
        return None, []
    parent_count = len(entry.parents.split())
    paths = list(entry.files) + [p for p in entry.statuses if p not in entry.files]
    files = [
        {
            "repository": repository,
            "sha": entry.sha,
            "path": path,
            "status": _STATUS.get(entry.statuses.get(path, ""), None),
            "additions": entry.files.get(path, (None, None))[0],
            "deletions": entry.files.get(path, (None, None))[1],
        }
        for path in paths
    ]
    # A merge has no diff by default: its line counts are unknown, not zero.
    has_stats = parent_count < 2 or bool(entry.files)
    commit = {
        "repository": repository,
        "sha": entry.sha,
        "author_name": entry.author_name or None,
        "author_email": entry.author_email or None,
        "authored_at": authored_at,
        "author_utc_offset_minutes": offset,
        "committer_email": entry.committer_email or None,
        "committed_at": _from_epoch(entry.committer_epoch),
        "message": entry.message.rstrip("\n"),
        "parent_count": parent_count,
        "additions": sum(c[0] for c in entry.files.values()) if has_stats else None,
        "deletions": sum(c[1] for c in entry.files.values()) if has_stats else None,
        "on_default_branch": on_default_branch,
    }
    return commit, files


# ---------------------------------------------------------------- ingest


def _read_cursor(con: duckdb.DuckDBPyConnection, repository: str) -> dict:
    row = con.execute(
        "select cursor_value from raw.ingest_cursors where source = ? and repository = ? and entity = ?",
        [SOURCE, repository, CURSOR_ENTITY],
    ).fetchone()
    if not row or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _write_cursor(con: duckdb.DuckDBPyConnection, repository: str, value: dict) -> None:
    # raw.ingest_cursors is collection state, not source data: it is not a
    # raw_writer table and has no change log.
    con.execute(
        "insert or replace into raw.ingest_cursors (source, repository, entity, cursor_value, etag) "
        "values (?, ?, ?, ?, null)",
        [SOURCE, repository, CURSOR_ENTITY, json.dumps(value, sort_keys=True)],
    )


def ingest_git(
    con: duckdb.DuckDBPyConnection,
    source: GitRef,
    workspace_id: str,
    *,
    run_id: str,
    log=None,
    batch_size: int = 5000,
) -> GitIngestReport:
    """Ingest the commits of the local clone ``source.path`` as ``source.repo``.

    ``log`` is any logger with ``info`` and ``warning`` (a ``logging.Logger``
    or Dagster's ``context.log``). Raises :class:`GitSourceError` when the
    path is not a git repository or git fails; malformed commits only add
    warnings to the report.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    log = log or logging.getLogger(__name__)
    repository = source.repo.lower()
    git = _Git(source.path)
    report = GitIngestReport(repository=repository, path=str(git.path))

    def warn(message: str) -> None:
        report.warnings_total += 1
        if len(report.warnings) < MAX_LISTED_WARNINGS:
            report.warnings.append(f"{repository}: {message}")
        log.warning(f"git source {repository}: {message}")

    ensure_raw_schema(con)
    report.default_branch = git.default_branch()
    report.head = git.resolve("HEAD")
    ref_tips: dict[str, str] = {}
    for ref in source.refs:
        sha = git.resolve(ref)
        if sha is None:
            warn(f"configured ref {ref!r} does not name a commit in {git.path}; skipped")
        else:
            ref_tips[ref] = sha

    _write_repository(con, repository, report.default_branch, workspace_id, run_id, log)

    cursor = _read_cursor(con, repository)
    old_head = cursor.get("head") if isinstance(cursor.get("head"), str) else None
    old_refs = cursor.get("refs") if isinstance(cursor.get("refs"), dict) else {}
    report.full_walk = not (
        old_head and report.head and git.resolve(old_head) == old_head
        and git.is_ancestor(old_head, report.head)
    )
    walks: list[tuple[list[str], bool]] = []
    if report.head:
        walks.append(([report.head] + ([] if report.full_walk else [f"^{old_head}"]), True))
    if ref_tips:
        exclude = [f"^{report.head}"] if report.head else []
        if not report.full_walk:
            exclude += [f"^{sha}" for sha in sorted(set(old_refs.values()))
                        if isinstance(sha, str) and git.resolve(sha) == sha]
        walks.append((sorted(set(ref_tips.values())) + exclude, False))

    if not walks:
        log.info(f"git source {repository}: {git.path} has no commits yet")
    else:
        mode = "full history" if report.full_walk else f"new commits since {old_head[:12]}"
        log.info(f"git source {repository}: reading {mode} from {git.path}")

    commits: list[dict] = []
    files: list[dict] = []

    def flush() -> None:
        if not commits and not files:
            return
        _add(report, "commits", upsert(con, "commits", pa.Table.from_pylist(commits, _COMMIT_SCHEMA), run_id))
        _add(report, "files", upsert(con, "commit_files", pa.Table.from_pylist(files, _FILE_SCHEMA), run_id))
        commits.clear()
        files.clear()
        log.info(f"git source {repository}: {report.commits_seen} commits read "
                 f"({report.commits_inserted} new, {report.commits_updated} changed)")

    for revisions, on_default in walks:
        for entry in git.log(revisions, warn):
            commit, commit_files = _rows(entry, repository, on_default, warn)
            if commit is None:
                continue
            report.commits_seen += 1
            report.files_seen += len(commit_files)
            commits.append(commit)
            files.extend(commit_files)
            if len(commits) >= batch_size or len(files) >= 10 * batch_size:
                flush()
    flush()

    _write_cursor(con, repository, {"head": report.head, "refs": ref_tips})
    if report.warnings_total > len(report.warnings):
        report.warnings.append(f"{repository}: ... and {report.warnings_total - len(report.warnings)} "
                               "more warnings (see the run log)")
    log.info(
        f"git source {repository}: done; {report.commits_seen} commits "
        f"({report.commits_inserted} new, {report.commits_updated} changed), "
        f"{report.files_seen} file rows, {report.warnings_total} warnings"
    )
    return report


def _add(report: GitIngestReport, what: str, result: UpsertResult) -> None:
    setattr(report, f"{what}_inserted", getattr(report, f"{what}_inserted") + result.inserted)
    setattr(report, f"{what}_updated", getattr(report, f"{what}_updated") + result.updated)


def _write_repository(con, repository: str, default_branch: str | None, workspace_id: str,
                      run_id: str, log) -> None:
    existing = con.execute("select source from raw.repositories where repository = ?",
                           [repository]).fetchone()
    if existing is not None and existing[0] != SOURCE:
        log.info(f"git source {repository}: repository already recorded by the {existing[0]} "
                 "source; keeping its row")
    else:
        upsert(con, "repositories", pa.table({
            "repository": [repository],
            "default_branch": pa.array([default_branch], pa.string()),
            "source": [SOURCE],
        }), run_id)
    upsert(con, "workspace_repositories",
           pa.table({"workspace_id": [workspace_id], "repository": [repository]}), run_id)
