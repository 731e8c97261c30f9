"""DevLens configuration: one YAML file validated with pydantic.

``load_config()`` reads ``DEVLENS_CONFIG`` (default ``devlens.yaml``). A bad
key or value raises :class:`ConfigError` naming the file, the line, the path
of the key and what was expected. Secrets never live here: ``GITHUB_TOKEN``
and ``OPENAI_API_KEY`` come from the environment only.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG_PATH = "devlens.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MON_TO_FRI: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. 'Europe/Berlin', 'UTC')") from None
    return name


def _lower(value: str) -> str:
    return value.strip().lower()


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Login = Annotated[str, Field(min_length=1), AfterValidator(_lower)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]
RepoName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"), AfterValidator(_lower)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GithubSettings(Strict):
    api_url: str = "https://api.github.com"
    concurrency: int = Field(4, ge=1, le=32, description="parallel requests per ingest")
    overlap_days: int = Field(3, ge=0, le=90, description="re-read window behind each cursor")


class CalendarConfig(Strict):
    start: date = date(2024, 1, 1)
    biweekly_anchor: date = date(2024, 1, 1)

    @field_validator("biweekly_anchor")
    @classmethod
    def _monday(cls, v: date) -> date:
        if v.weekday() != 0:
            raise ValueError(f"{v.isoformat()} is a {v.strftime('%A')}; the biweekly anchor must be a Monday")
        return v


class GithubRef(Strict):
    org: str | None = None
    repo: RepoName | None = None

    @model_validator(mode="after")
    def _one(self) -> "GithubRef":
        if (self.org is None) == (self.repo is None):
            raise ValueError("give exactly one of 'org' or 'repo'")
        return self


class GitRef(Strict):
    path: str
    repo: RepoName
    refs: list[str] = Field(default_factory=list, description="refs besides HEAD whose commits count")


class DemoRef(Strict):
    developers: int = Field(24, ge=1, le=20000)
    days: int = Field(120, ge=1, le=3660)
    seed: int = 42


class Source(Strict):
    github: GithubRef | None = None
    git: GitRef | None = None
    demo: DemoRef | None = None

    @model_validator(mode="after")
    def _one(self) -> "Source":
        given = [k for k in ("github", "git", "demo") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("each source is exactly one of 'github', 'git' or 'demo'")
        return self


class Team(Strict):
    id: Slug
    name: str | None = None
    members: list[Login] = Field(default_factory=list)


class WorkingSchedule(Strict):
    timezone: TimeZoneName | None = None
    working_days: list[Weekday] | None = None


class WorkspaceSettings(Strict):
    default_timezone: TimeZoneName = "UTC"
    working_days: list[Weekday] = Field(default_factory=lambda: list(MON_TO_FRI))


class AlertRule(Strict):
    id: Slug
    metric: str = Field(description="'<category>.<key>', e.g. sustainability.late_night_commit_ratio")
    operator: Literal[">", ">=", "<", "<=", "=="]
    threshold: float
    period_type: Literal["daily", "weekly", "biweekly", "monthly"] = "weekly"
    severity: Literal["info", "warning", "critical"] = "warning"

    @field_validator("metric")
    @classmethod
    def _dotted(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z_]+\.[a-z_]+", v):
            raise ValueError("expected '<category>.<metric_key>'")
        return v


class Workspace(Strict):
    id: Slug
    name: str | None = None
    sources: list[Source] = Field(default_factory=list)
    teams_from_github: bool = False
    teams: list[Team] = Field(default_factory=list)
    bots: list[Login] = Field(default_factory=list)
    identities: dict[Login, list[Login]] = Field(default_factory=dict)
    working_schedules: dict[Login, WorkingSchedule] = Field(default_factory=dict)
    settings: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    alert_rules: list[AlertRule] = Field(default_factory=list)


class ApiKey(Strict):
    name: str | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    workspaces: list[Slug] = Field(min_length=1)


class ApiConfig(Strict):
    keys: list[ApiKey] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)


# DuckDB's size units, or a share of the machine's memory ('25%').
MEMORY_LIMIT_PATTERN = r"^\s*(\d+(\.\d+)?)\s*(%|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"


def _check_memory_limit(value: str | None) -> str | None:
    if value is None:
        return None
    m = re.match(MEMORY_LIMIT_PATTERN, value, re.IGNORECASE)
    if not m:
        raise ValueError(f"{value!r} is not a memory size: expected e.g. '4GB', '512MB' or '25%' (of the machine's memory)")
    if m.group(3) == "%" and not 0 < float(m.group(1)) <= 100:
        raise ValueError(f"{value!r}: a share of the machine's memory is more than 0% and at most 100%")
    if m.group(3) != "%" and float(m.group(1)) == 0:
        raise ValueError(f"{value!r}: the memory limit must be more than 0")
    return value.strip()


class WarehouseConfig(Strict):
    path: str = ".devlens/warehouse.duckdb"
    serving_dir: str = ".devlens/serving"
    keep_versions: int = Field(3, ge=2, le=50)
    memory_limit: Annotated[str | None, AfterValidator(_check_memory_limit)] = Field(
        None,
        description="DuckDB memory of the warehouse writer: a size ('4GB') or a share of the machine's memory "
        "('25%'); default 25%, at least 1 GiB",
    )


class LLMConfig(Strict):
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = Field(60, gt=0)


class DevLensConfig(Strict):
    github: GithubSettings = Field(default_factory=GithubSettings)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    workspaces: list[Workspace] = Field(min_length=1)
    api: ApiConfig = Field(default_factory=ApiConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)

    def cross_check(self) -> list[tuple[tuple, str]]:
        """Rules that span several keys: (key path, message) for each violation."""
        problems: list[tuple[tuple, str]] = []
        seen: set[str] = set()
        for i, ws in enumerate(self.workspaces):
            if ws.id in seen:
                problems.append((("workspaces", i, "id"), f"workspace ids must be unique: {ws.id!r} is used twice"))
            seen.add(ws.id)
            team_ids: set[str] = set()
            for j, team in enumerate(ws.teams):
                if team.id in team_ids:
                    problems.append((("workspaces", i, "teams", j, "id"), f"team ids must be unique: {team.id!r} is used twice"))
                team_ids.add(team.id)
        for i, key in enumerate(self.api.keys):
            unknown = sorted(set(key.workspaces) - seen)
            if unknown:
                problems.append((("api", "keys", i, "workspaces"), f"names unknown workspace(s) {unknown}"))
        return problems

    def workspace(self, workspace_id: str) -> Workspace:
        for w in self.workspaces:
            if w.id == workspace_id:
                return w
        raise KeyError(workspace_id)

    @property
    def base_dir(self) -> Path:
        return Path(getattr(self, "_base_dir", Path.cwd()))

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p


def config_path() -> Path:
    return Path(os.environ.get("DEVLENS_CONFIG", DEFAULT_CONFIG_PATH))


def load_config(path: str | os.PathLike | None = None) -> DevLensConfig:
    path = Path(path) if path is not None else config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (set DEVLENS_CONFIG or create {DEFAULT_CONFIG_PATH})"
        ) from None
    return parse_config(text, path)


def parse_config(text: str, path: str | os.PathLike = "<config>") -> DevLensConfig:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        cfg = DevLensConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(e, node, path)) from None
    problems = cfg.cross_check()
    if problems:
        lines = [f"{path}: invalid configuration"]
        for loc, msg in problems:
            lines.append(f"  {path}:{_line_of(node, loc)}: {_dotted(loc)}: {msg}")
        raise ConfigError("\n".join(lines))
    object.__setattr__(cfg, "_base_dir", Path(path).resolve().parent)
    return cfg


def _describe(error: ValidationError, node, path) -> str:
    lines = [f"{path}: invalid configuration"]
    for err in error.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal[")))]
        dotted = _dotted(loc) or "(top level)"
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; see README 'Configuration')"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  {where}: {dotted}: {msg}")
    return "\n".join(lines)


def _dotted(loc) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _line_of(node, loc) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for p in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == p), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int) and p < len(node.value):
            node = node.value[p]
            line = node.start_mark.line + 1
        else:
            break
    return line
