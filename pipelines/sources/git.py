"""The git source: ingest a local clone (bare or not) into the raw schema.

``ingest_git`` runs ``git log`` over the commits reachable from ``HEAD`` (the
repository's default branch) plus any extra refs the source config names
(METRICS.md 8.1), and writes ``raw.repositories``,
``raw.workspace_repositories``, ``raw.commits``, ``raw.commit_files`` and
``raw.file_contents`` (dependency manifests) through
:func:`pipelines.warehouse.raw_writer.upsert`.

How it reads git
----------------
One ``git log -z --raw --numstat -M`` process per walk, read from a pipe and
parsed token by token (NUL-separated), upserted every ``batch_size`` commits:
a whole history is never held in memory. With ``-z`` git prints paths
unquoted and a rename as separate old and new paths, so names containing
tabs, newlines, non-ASCII or `` => `` are read exactly; the new path of a
rename is the one recorded. ``--raw`` supplies each file's status from the
same diff at no extra cost, with full object names (``--no-abbrev``).

Manifest contents are read from one long-running ``git cat-file --batch``
process, by the blob names that ``--raw`` printed: one request and answer
per manifest version, never one process per file. Merges show no diff in
that log, so each walk first pipes ``git rev-list --merges`` into one ``git
diff-tree --stdin -m --raw`` limited to manifest pathspecs, to learn which
manifests each merge changed (it prints only those merges).

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

Dependency manifests (``raw.file_contents``)
--------------------------------------------
A manifest is a path :func:`pipelines.sources.manifests.manifest_ecosystem`
accepts (the rules of the SQL macro ``manifest_ecosystem``:
``requirements*.txt``, ``pyproject.toml``, ``package.json``, ``go.mod``,
``Cargo.toml`` at any depth). Every ingested commit (on the default branch
or on a configured ref; ``on_default_branch`` as the commit's) gets one row
per manifest it changed, ``committed_at`` its committer time:

- added, modified or type-changed (``A``/``M``/``T``), or the new path of a
  rename or copy: the file's content in that commit's tree;
- deleted, or the old path of a rename: ``content`` NULL. The technology
  tracker takes the latest default-branch row before each period end as the
  manifest's state, so a NULL row ends its declarations (a later re-add
  starts them again); the expertise analyzer finds no packages in it;
- a merge: every manifest whose content in the merge differs from at least
  one parent's (a conflict resolution, or what the merge brought to the
  first parent), with its content in the merge, NULL when the merge has no
  such file. A merge that leaves a manifest as both parents had it has no
  row.

A symbolic link is followed inside the commit's tree (as GitHub's contents
API does); a link leading out of the tree, a dangling one, a submodule, a
file over ``max_content_bytes`` (1 MiB by default) or a binary file (a NUL
byte once decoded) is stored with ``content`` NULL and a warning naming the
path and commit: no declarations rather than a stale older version. Text is
decoded as :func:`pipelines.sources.manifests.decode_manifest` says (UTF-8,
or the encoding a byte-order mark names; the mark is dropped).

Incremental runs
----------------
``raw.ingest_cursors`` (source ``git``, the repository, entity ``commits``)
remembers the ``HEAD`` and ref tips of the last successful run. The next run
walks ``HEAD ^old_head`` (so branch commits merged since then are re-flagged
``on_default_branch``, their manifest rows too) and ``refs ^HEAD
^old_ref_tips``. When the old head is gone or no longer an ancestor of
``HEAD`` (a force-push or reset), it walks everything again; so it does when
the cursor was written under other manifest rules (or before manifests were
read at all), to collect the contents of the history already ingested. The
cursor moves only after every batch (commits, files and manifest contents) is
written: re-running after a crash repeats the walk, and the upsert makes that
harmless. Commits dropped from history by a force-push stay in raw.
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
from pipelines.sources.manifests import (MANIFEST_RULES, decode_manifest, manifest_ecosystem,
                                         manifest_pathspecs)
from pipelines.warehouse.raw_writer import UpsertResult, ensure_raw_schema, upsert

__all__ = ["GitIngestReport", "GitSourceError", "ingest_git", "parse_utc_offset"]

SOURCE = "git"
CURSOR_ENTITY = "commits"
MAX_LISTED_WARNINGS = 1000
# The largest manifest whose content is stored; a larger one is stored without it.
MAX_CONTENT_BYTES = 1 << 20
# Manifest text held before a flush, whatever the batch size.
_MAX_PENDING_CONTENT_BYTES = 64 << 20
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
_COMMON_LOG_ARGS = [
    "--date=raw", f"--format={_FORMAT}", "--encoding=UTF-8", "--no-color", "--no-ext-diff",
    "--no-textconv", "--no-relative", "--no-show-signature",
]
_LOG_ARGS = ["log", "-z", "--raw", "--no-abbrev", "--numstat", "-M", "--root", *_COMMON_LOG_ARGS]
# Fed merge SHAs on stdin: each one's diff against each parent (-m), only
# for the parents it differs from.
_MERGE_DIFF_ARGS = ["diff-tree", "--stdin", "-z", "-m", "-r", "--raw", "--no-abbrev", "--no-renames",
                    *_COMMON_LOG_ARGS]
_MODE_SYMLINK = "120000"
_MODE_GITLINK = "160000"
# Cursor key: the manifest rules the contents were collected under.
_CURSOR_RULES = "manifest_rules"
_NUMSTAT = re.compile(rb"(\d+|-)\t(\d+|-)\t(.*)\Z", re.S)
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")
_OFFSET = re.compile(r"([+-])(\d\d)(\d\d)\Z")
# GitHub's file status vocabulary, so both sources agree.
_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed",
           "C": "copied", "T": "changed", "U": "unmerged"}
# Variables that would point git at another repository than the one configured.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
                      "GIT_PREFIX", "GIT_CEILING_DIRECTORIES",
                      # ... or read the manifest pathspecs other than as written
                      "GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                      "GIT_ICASE_PATHSPECS")

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
    ("previous_path", pa.string()),
])
_CONTENT_SCHEMA = pa.schema([
    ("repository", pa.string()),
    ("path", pa.string()),
    ("sha", pa.string()),
    ("committed_at", pa.timestamp("us")),
    ("on_default_branch", pa.bool_()),
    ("content", pa.string()),
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
    # raw.file_contents rows: one per dependency manifest a commit changed
    manifests_seen: int = 0
    manifests_inserted: int = 0
    manifests_updated: int = 0
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

    def merge_diffs(self, revisions: list[str], paths: list[str],
                    on_token_error: Callable[[str], None]) -> Iterator["_LogEntry"]:
        """The merges of ``<revisions>`` that differ from a parent in ``paths``: one entry
        per such parent, its ``--raw`` diff against the merge limited to ``paths``.

        ``git rev-list --merges <revisions> | git diff-tree --stdin -m ...``: only
        the merges are diffed (``git log --merges -- <paths>`` would diff every
        commit to simplify history). Raises if either process fails.
        """
        with tempfile.TemporaryFile() as list_err, tempfile.TemporaryFile() as diff_err:
            try:
                lister = subprocess.Popen(self.command("rev-list", "--merges", *revisions, "--"),
                                          env=self.env, stdout=subprocess.PIPE, stderr=list_err)
            except FileNotFoundError:
                raise GitSourceError("the 'git' executable was not found on PATH") from None
            try:
                differ = subprocess.Popen(self.command(*_MERGE_DIFF_ARGS, "--", *paths), env=self.env,
                                          stdin=lister.stdout, stdout=subprocess.PIPE, stderr=diff_err)
            except BaseException:
                lister.kill()
                lister.wait()
                raise
            finally:
                lister.stdout.close()  # diff-tree holds the read end now
            completed = False
            try:
                yield from _parse_log(_tokens(differ.stdout), on_token_error)
                completed = True
            finally:
                if not completed:
                    differ.kill()
                    lister.kill()
                differ.stdout.close()
                codes = (lister.wait(), differ.wait())
            # diff-tree first: when it fails, rev-list may only have lost its reader.
            for code, what, err in ((codes[1], "diff-tree", diff_err), (codes[0], "rev-list", list_err)):
                if code != 0:
                    err.seek(0)
                    message = err.read().decode("utf-8", "replace").strip()
                    raise GitSourceError(f"git {what} failed in {self.path} (exit {code}): {message}")


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
    # the --raw entries in order: (status letter, new mode, new object, old path or None, path)
    raw: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)


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
            if len(meta) >= 5:
                current.raw.append((status[:1], _text(meta[1]), _text(meta[3]),
                                    _text(paths[0]) if len(paths) == 2 else None, _text(paths[-1])))
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
    renamed_from = {path: old for status, _, _, old, path in entry.raw if status == "R" and old is not None}
    files = [
        {
            "repository": repository,
            "sha": entry.sha,
            "path": path,
            "status": _STATUS.get(entry.statuses.get(path, ""), None),
            "additions": entry.files.get(path, (None, None))[0],
            "deletions": entry.files.get(path, (None, None))[1],
            "previous_path": renamed_from.get(path),
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


# ---------------------------------------------------------------- manifests


class _BlobReader:
    """One long-running ``git cat-file --batch --follow-symlinks``, started on first use.

    Requests are answered one at a time (cat-file flushes after each object),
    so neither pipe fills up while the other waits. An object over
    ``max_bytes`` is read off the pipe in chunks and dropped, never held whole.
    """

    _CHUNK = 1 << 16

    def __init__(self, git: _Git, max_bytes: int):
        self.git = git
        self.max_bytes = max_bytes
        self.proc: subprocess.Popen | None = None
        self.stderr: IO[bytes] | None = None

    def read(self, name: str) -> tuple[bytes | None, str | None]:
        """``(content, None)`` for a blob within the limit, else ``(None, why)``.

        ``name`` is an object name, or ``<commit>:<path>`` to follow a
        symbolic link inside that commit's tree. Raises
        :class:`GitSourceError` when cat-file itself fails.
        """
        proc = self._process()
        try:
            proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._fail(f"git cat-file stopped before answering for {name!r}")
        header = proc.stdout.readline()
        if not header.endswith(b"\n"):
            self._fail(f"git cat-file stopped before answering for {name!r}")
        parts = header[:-1].split(b" ")
        if parts[-1] in (b"missing", b"ambiguous"):
            return None, f"git has no object for it ({parts[-1].decode()})"
        if len(parts) == 2 and parts[0] in (b"symlink", b"dangling", b"loop", b"notdir"):
            self._skip(int(parts[1]) + 1)  # the link's target or the name that failed
            return None, {b"symlink": "a symbolic link out of the repository",
                          b"dangling": "a symbolic link to nothing",
                          b"loop": "a symbolic link loop",
                          b"notdir": "a symbolic link through a file"}[parts[0]]
        if len(parts) != 3 or not parts[2].isdigit():
            self._fail(f"unexpected git cat-file answer {header[:200]!r} for {name!r}")
        kind, size = parts[1].decode("ascii", "replace"), int(parts[2])
        if kind != "blob":
            self._skip(size + 1)
            return None, f"a {kind}, not a file"
        if size > self.max_bytes:
            self._skip(size + 1)
            return None, f"{size} bytes, over the {self.max_bytes}-byte limit for a manifest"
        data = self._read(size)
        self._read(1)  # the newline after each object
        return data, None

    def close(self) -> None:
        """Stop the process; call in a ``finally``."""
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None

    def _process(self) -> subprocess.Popen:
        if self.proc is None:
            self.stderr = tempfile.TemporaryFile()
            try:
                self.proc = subprocess.Popen(
                    self.git.command("cat-file", "--batch", "--follow-symlinks"), env=self.git.env,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
            except FileNotFoundError:
                raise GitSourceError("the 'git' executable was not found on PATH") from None
        return self.proc

    def _read(self, size: int) -> bytes:
        data = self.proc.stdout.read(size)
        if len(data) != size:
            self._fail("git cat-file output ended inside an object")
        return data

    def _skip(self, size: int) -> None:
        while size > 0:
            size -= len(self._read(min(size, self._CHUNK)))

    def _fail(self, message: str):
        proc = self.proc
        if proc is not None:
            proc.kill()
            proc.wait()
        details = ""
        if self.stderr is not None:
            self.stderr.seek(0)
            details = self.stderr.read().decode("utf-8", "replace").strip()
        self.close()
        raise GitSourceError(f"{message} in {self.git.path}" + (f": {details}" if details else ""))


# path -> (mode, object name) of a manifest the commit added or changed, None for one it removed
_ManifestChanges = dict[str, tuple[str, str] | None]


def _manifest_changes(entry: _LogEntry) -> _ManifestChanges:
    """The manifests one diff of ``entry`` (its ``--raw`` entries) touched."""
    removed: _ManifestChanges = {}
    present: _ManifestChanges = {}
    for status, mode, obj, old_path, path in entry.raw:
        if status == "R" and old_path is not None and manifest_ecosystem(old_path):
            removed[old_path] = None
        if manifest_ecosystem(path):
            if status == "D":
                removed[path] = None
            else:
                present[path] = (mode, obj)
    return removed | present  # a path both renamed away and written to is present


def _merge_manifest_changes(git: _Git, revisions: list[str],
                            warn: Callable[[str], None]) -> dict[str, _ManifestChanges]:
    """merge SHA -> the manifests whose content in the merge differs from a parent's."""
    merges: dict[str, _ManifestChanges] = {}
    for entry in git.merge_diffs(revisions, manifest_pathspecs(), warn):
        changes = merges.setdefault(entry.sha, {})
        for path, change in _manifest_changes(entry).items():
            # One diff per parent, all against the merge's own tree: they agree.
            if change is not None or path not in changes:
                changes[path] = change
    return {sha: changes for sha, changes in merges.items() if changes}


def _content_rows(commit: dict, changes: _ManifestChanges, blobs: _BlobReader,
                  warn: Callable[[str], None]) -> list[dict]:
    rows = []
    sha = commit["sha"]
    for path in sorted(changes):
        change = changes[path]
        content = why = None
        if change is not None:
            mode, obj = change
            if mode == _MODE_GITLINK:
                why = "a submodule, not a file"
            elif mode == _MODE_SYMLINK and "\n" in path:
                why = "a symbolic link whose name git cat-file cannot be given"
            else:
                data, why = blobs.read(f"{sha}:{path}" if mode == _MODE_SYMLINK else obj)
                if data is not None:
                    content, why = decode_manifest(data)
        if why:
            warn(f"dependency manifest {path!r} at commit {sha}: {why}; stored without its content")
        rows.append({
            "repository": commit["repository"],
            "path": path,
            "sha": sha,
            "committed_at": commit["committed_at"] or commit["authored_at"],
            "on_default_branch": commit["on_default_branch"],
            "content": content,
        })
    return rows


def _cursor_rules() -> list[str]:
    return [f"{r.ecosystem}:{r.name}{':i' if r.ignore_case else ''}" for r in MANIFEST_RULES]


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
    max_content_bytes: int = MAX_CONTENT_BYTES,
) -> GitIngestReport:
    """Ingest the commits of the local clone ``source.path`` as ``source.repo``,
    with the dependency manifests they changed (at most ``max_content_bytes``
    of content each).

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
    can_continue = bool(old_head and report.head and git.resolve(old_head) == old_head
                        and git.is_ancestor(old_head, report.head))
    # Contents are collected for the whole history under the current manifest rules.
    rules_changed = cursor.get(_CURSOR_RULES) != _cursor_rules()
    report.full_walk = not can_continue or rules_changed
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
        mode = ("full history" + (" (to collect dependency manifests)" if can_continue else "")
                if report.full_walk else f"new commits since {old_head[:12]}")
        log.info(f"git source {repository}: reading {mode} from {git.path}")

    commits: list[dict] = []
    files: list[dict] = []
    contents: list[dict] = []
    pending_bytes = 0

    def flush() -> None:
        nonlocal pending_bytes
        if not commits and not files and not contents:
            return
        _add(report, "commits", upsert(con, "commits", pa.Table.from_pylist(commits, _COMMIT_SCHEMA), run_id))
        _add(report, "files", upsert(con, "commit_files", pa.Table.from_pylist(files, _FILE_SCHEMA), run_id))
        _add(report, "manifests",
             upsert(con, "file_contents", pa.Table.from_pylist(contents, _CONTENT_SCHEMA), run_id))
        commits.clear()
        files.clear()
        contents.clear()
        pending_bytes = 0
        log.info(f"git source {repository}: {report.commits_seen} commits read "
                 f"({report.commits_inserted} new, {report.commits_updated} changed), "
                 f"{report.manifests_seen} manifest versions")

    blobs = _BlobReader(git, max_content_bytes)
    try:
        for revisions, on_default in walks:
            merge_changes = _merge_manifest_changes(git, revisions, warn)
            for entry in git.log(revisions, warn):
                commit, commit_files = _rows(entry, repository, on_default, warn)
                if commit is None:
                    continue
                report.commits_seen += 1
                report.files_seen += len(commit_files)
                commits.append(commit)
                files.extend(commit_files)
                changes = (merge_changes.get(entry.sha, {}) if commit["parent_count"] >= 2
                           else _manifest_changes(entry))
                if changes:
                    rows = _content_rows(commit, changes, blobs, warn)
                    report.manifests_seen += len(rows)
                    contents.extend(rows)
                    pending_bytes += sum(len(r["content"] or "") for r in rows)
                if (len(commits) >= batch_size or len(files) >= 10 * batch_size
                        or len(contents) >= batch_size or pending_bytes >= _MAX_PENDING_CONTENT_BYTES):
                    flush()
        flush()
    finally:
        blobs.close()

    # Only now, with every batch written, may the next run skip these commits.
    _write_cursor(con, repository, {"head": report.head, "refs": ref_tips, _CURSOR_RULES: _cursor_rules()})
    if report.warnings_total > len(report.warnings):
        report.warnings.append(f"{repository}: ... and {report.warnings_total - len(report.warnings)} "
                               "more warnings (see the run log)")
    log.info(
        f"git source {repository}: done; {report.commits_seen} commits "
        f"({report.commits_inserted} new, {report.commits_updated} changed), "
        f"{report.files_seen} file rows, {report.manifests_seen} manifest versions, "
        f"{report.warnings_total} warnings"
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
