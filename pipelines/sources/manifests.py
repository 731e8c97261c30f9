"""Dependency manifests on the Python side: which paths they are, and how their bytes become text.

The technology tracker and the expertise analyzer parse the contents of
dependency manifests from ``raw.file_contents`` (METRICS.md §7,
docs/metrics.md "Technology tracker"). Which paths count is decided in SQL
by the macro ``manifest_ecosystem`` (sql_models/macros/analyzers.sql); a
source deciding which contents to collect must pick exactly the same paths.
:data:`MANIFEST_RULES` is the one Python copy of those rules, and
tests/sources/test_git_manifests.py checks it against the macro, evaluated in
DuckDB, on a table of sample paths.

A rule is a file-name pattern matched at any depth (``*`` is any run of
characters but ``/``), case-insensitive or not. The Python match reproduces
DuckDB's regular expressions (RE2) exactly, including its Unicode case
folding: under ``(?i)``, ``s`` also matches ``ſ`` (U+017F) and ``k`` the
Kelvin sign (U+212A), while ``i`` does not match the Turkish ``ı`` or ``İ``
(Python's own ``re.IGNORECASE`` would).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["MANIFEST_RULES", "ManifestRule", "decode_manifest", "manifest_ecosystem",
           "manifest_pathspecs"]


@dataclass(frozen=True)
class ManifestRule:
    ecosystem: str  # pip | npm | go | cargo, as the SQL macro returns it
    name: str       # a file-name pattern; '*' is any run of characters but '/'
    ignore_case: bool


# In the macro's order (the first rule that matches wins); keep the two in step.
MANIFEST_RULES: tuple[ManifestRule, ...] = (
    ManifestRule("pip", "requirements*.txt", ignore_case=True),
    ManifestRule("pip", "pyproject.toml", ignore_case=True),
    ManifestRule("npm", "package.json", ignore_case=True),
    ManifestRule("go", "go.mod", ignore_case=False),
    ManifestRule("cargo", "Cargo.toml", ignore_case=True),
)

# RE2's case-insensitive classes of the ASCII letters that fold with a
# non-ASCII character (Unicode simple case folding, Turkic mappings excluded).
_NON_ASCII_FOLDS = {"k": "\u212a", "s": "\u017f"}


def _regex(rule: ManifestRule) -> re.Pattern[str]:
    parts = []
    for char in rule.name:
        if char == "*":
            parts.append("[^/]*")
        elif rule.ignore_case and char.isascii() and char.isalpha():
            low = char.lower()
            parts.append("[" + low + low.upper() + _NON_ASCII_FOLDS.get(low, "") + "]")
        else:
            parts.append(re.escape(char))
    return re.compile("(?:^|/)" + "".join(parts) + r"\Z")


_COMPILED = tuple((rule, _regex(rule)) for rule in MANIFEST_RULES)


@lru_cache(maxsize=4096)
def manifest_ecosystem(path: str) -> str | None:
    """pip | npm | go | cargo when ``path`` is a dependency manifest, else None (as the SQL macro)."""
    for rule, pattern in _COMPILED:
        if pattern.search(path):
            return rule.ecosystem
    return None


def manifest_pathspecs() -> list[str]:
    """Git pathspecs matching at least every manifest path (a prefilter for
    ``git log -- <pathspecs>``; :func:`manifest_ecosystem` decides).

    Git folds case in ASCII only, so a letter that RE2 also matches with a
    non-ASCII character becomes ``*`` (``package.json`` -> ``pac*age.j*on``).
    """
    specs = []
    for rule in MANIFEST_RULES:
        name = rule.name
        if rule.ignore_case:
            name = "".join("*" if c.lower() in _NON_ASCII_FOLDS else c for c in name)
            name = re.sub(r"\*+", "*", name)
        specs.append(f":(glob{',icase' if rule.ignore_case else ''})**/{name}")
    return specs


# Checked in this order: a UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_manifest(data: bytes) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, why)`` when ``data`` is not a text file.

    A byte-order mark selects the encoding (as pip reads requirement files: a
    ``pip freeze > requirements.txt`` in Windows PowerShell writes UTF-16) and
    is dropped, so a JSON or TOML parser sees the document itself; anything
    else is read as UTF-8, an invalid byte becoming U+FFFD. Text that still
    holds a NUL character is binary.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    text = data.decode(encoding, "replace")
    if "\x00" in text:
        return None, "binary content (a NUL byte)"
    return text, None
