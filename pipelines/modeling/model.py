"""One SQL model: a header (YAML inside the leading ``/* --- ... --- */``
comment) and a Jinja2 body.

Header keys::

    description: what the model is (shown in the Dagster UI)
    kind: period | table | ephemeral
                                  # period: one partitioned asset per period type;
                                  # table: rebuilt whole; ephemeral: a period model
                                  # with no table, inlined as a CTE into every
                                  # model that ref()s it (so its rows are never
                                  # written, only computed inside the statement
                                  # of the model that reads them)
    grain: one row per ...
    unique_key: [col, ...]
    serve: true                   # published to the serving store
    columns: {col: description}
    checks:
      non_negative: [col, ...]    # counts >= 0
      ratios: [col, ...]          # fractions in [0, 1]
      equal: {col: sql expression}  # e.g. net_lines: lines_added - lines_removed
      reconcile:                    # {name: a query returning the violating rows};
        name: select ...            # Jinja like the model, plus `this` (the rows written)
    late_data:
      following_periods: all | N  # also recompute later periods when a period changes
                                  # ("as of" models: all; the burnout detector: 4)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

HEADER_RE = re.compile(r"\A\s*/\*\s*---\s*\n(?P<yaml>.*?)\n\s*---\s*\*/", re.S)
HEADER_KEYS = {"description", "kind", "grain", "unique_key", "serve", "columns", "checks", "name", "late_data"}
CHECK_KEYS = {"non_negative", "ratios", "equal", "reconcile"}


class ModelError(ValueError):
    """A model that cannot be loaded; the message names file and line."""


@dataclass(frozen=True)
class Checks:
    non_negative: tuple[str, ...] = ()
    ratios: tuple[str, ...] = ()
    equal: tuple[tuple[str, str], ...] = ()
    reconcile: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    folder: str
    source: str  # the whole file, header included (so line numbers match)
    kind: Literal["period", "table", "ephemeral"]
    description: str
    grain: str
    unique_key: tuple[str, ...]
    serve: bool
    columns: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    checks: Checks = Checks()
    late_data_following: str | int | None = None

    @property
    def period_scoped(self) -> bool:
        """Rendered for a period type and range (period and ephemeral models)."""
        return self.kind in ("period", "ephemeral")

    @property
    def ephemeral(self) -> bool:
        return self.kind == "ephemeral"

    def relation(self, period_type: str | None = None) -> str:
        """The table this model materializes into (schema-qualified); an
        ephemeral model's is the placeholder ``ephemeral.<name>``, which only
        dependency analysis sees."""
        if self.ephemeral:
            return f"ephemeral.{self.name}"
        if self.period_scoped:
            if period_type is None:
                raise ValueError(f"{self.name} is period-scoped; a period type is needed")
            return f"{period_type}.{self.name}"
        return f"{self.folder}.{self.name}"

    @property
    def body(self) -> str:
        """The Jinja/SQL body: the header blanked out line for line, so that
        rendered SQL keeps the file's line numbers (and the header's own
        Jinja, e.g. in reconcile checks, is not rendered with the model)."""
        m = HEADER_RE.match(self.source)
        return "\n" * self.source[: m.end()].count("\n") + self.source[m.end():] if m else self.source

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


def parse_model_file(path: Path, root: Path) -> Model:
    text = path.read_text()
    where = f"{path.relative_to(root.parent) if root.parent in path.parents else path}"
    m = HEADER_RE.match(text)
    if not m:
        raise ModelError(f"{where}:1: a model starts with a header comment '/* --- <yaml> --- */'")
    try:
        header = yaml.safe_load(m.group("yaml")) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        raise ModelError(f"{where}:{line}: header is not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(header, dict):
        raise ModelError(f"{where}:1: header must be a YAML mapping")
    yaml_first_line = text[: m.start("yaml")].count("\n") + 1

    def line_of(key: str) -> int:
        """The file line of a top-level header key."""
        node = yaml.compose(m.group("yaml"))
        for k, _ in getattr(node, "value", []):
            if k.value == key:
                return yaml_first_line + k.start_mark.line
        return 1

    unknown = sorted(set(header) - HEADER_KEYS)
    if unknown:
        raise ModelError(
            f"{where}:{line_of(unknown[0])}: unknown header key(s) {unknown}; allowed: {sorted(HEADER_KEYS)}"
        )
    name = path.stem
    if header.get("name", name) != name:
        raise ModelError(f"{where}:1: header name {header['name']!r} differs from the file name {name!r}")
    kind = header.get("kind", "table")
    if kind not in ("period", "table", "ephemeral"):
        raise ModelError(f"{where}:{line_of('kind')}: kind must be 'period', 'table' or 'ephemeral', not {kind!r}")
    if kind == "ephemeral":
        for key in ("checks", "serve", "late_data"):
            if header.get(key):
                raise ModelError(
                    f"{where}:{line_of(key)}: an ephemeral model has no table, so no {key}: "
                    "put it on the model that materializes its rows"
                )
    if not header.get("description"):
        raise ModelError(f"{where}:1: header needs a description")
    unique_key = tuple(header.get("unique_key") or ())
    if kind in ("period", "ephemeral") and "period_start" not in unique_key:
        raise ModelError(f"{where}:{line_of('unique_key')}: a period model's unique_key must include period_start")
    checks = header.get("checks") or {}
    bad = set(checks) - CHECK_KEYS
    if bad:
        raise ModelError(f"{where}:{line_of('checks')}: unknown check(s) {sorted(bad)}; allowed: {sorted(CHECK_KEYS)}")
    late_data = header.get("late_data") or {}
    following = late_data.get("following_periods") if isinstance(late_data, dict) else None
    if following is not None and following != "all" and not (isinstance(following, int) and following > 0):
        raise ModelError(f"{where}:{line_of('late_data')}: late_data.following_periods is 'all' or a positive integer")
    return Model(
        name=name,
        late_data_following=following,
        path=path,
        folder=path.parent.name,
        source=text,
        kind=kind,
        description=str(header["description"]).strip(),
        grain=str(header.get("grain", "")),
        unique_key=unique_key,
        serve=bool(header.get("serve", False)),
        columns={str(k): str(v) for k, v in (header.get("columns") or {}).items()},
        checks=Checks(
            non_negative=tuple(checks.get("non_negative", ())),
            ratios=tuple(checks.get("ratios", ())),
            equal=tuple((checks.get("equal") or {}).items()),
            reconcile=tuple((checks.get("reconcile") or {}).items()),
        ),
    )
