"""Response models: the shapes of API.md, documented in the OpenAPI schema."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel, Field


class PeriodType(str, Enum):
    daily = "daily"
    weekly = "weekly"
    biweekly = "biweekly"
    monthly = "monthly"


class Category(str, Enum):
    velocity = "velocity"
    efficiency = "efficiency"
    quality = "quality"
    sustainability = "sustainability"
    collaboration = "collaboration"


# --- developer categories (METRICS.md §1-§5) ------------------------------------
class VelocityMetrics(BaseModel):
    commits_count: int = Field(description="counted commits (non-merge, human, de-duplicated by SHA) authored in the period")
    prs_merged: int = Field(description="PRs authored by the developer merged in the period")
    lines_added: int = Field(description="sum of additions of the counted commits")
    lines_removed: int = Field(description="sum of deletions of the counted commits")
    net_lines: int = Field(description="lines_added - lines_removed")
    commit_frequency: float = Field(description="commits_count / max(working days in the period, 1)")
    pr_throughput: float = Field(description="PRs merged per week: prs_merged / (period days / 7)")
    avg_commit_size: float = Field(description="(lines_added + lines_removed) / commits_count")


class EfficiencyMetrics(BaseModel):
    avg_pr_cycle_time_hours: float = Field(description="mean over merged PRs of merged_at - created_at, hours")
    avg_time_to_first_review_hours: float = Field(description="mean over merged PRs with a review of first review - created_at")
    avg_pr_size: float = Field(description="mean over merged PRs of additions + deletions")
    pr_merge_rate: float = Field(description="among PRs closed in the period: merged / closed")
    first_commit_to_merge_hours: float = Field(description="mean over merged PRs of merged_at - first commit authored_at")
    rework_ratio: float = Field(description="over merged PRs: commits after the first review / all their commits")


class QualityMetrics(BaseModel):
    review_participation_rate: float = Field(description="share of others' reviewed PRs in the developer's repositories that the developer reviewed")
    avg_review_depth: float = Field(description="inline review comments / reviews submitted on others' PRs")
    review_turnaround_hours: float = Field(description="mean of the developer's first review of a PR - PR created_at")
    self_merge_rate: float = Field(description="share of merged PRs with no approval from another person before merge")


class SustainabilityMetrics(BaseModel):
    weekend_commit_ratio: float = Field(description="counted commits on a non-working local weekday / commits_count")
    late_night_commit_ratio: float = Field(description="counted commits with local hour 22:00-05:59 / commits_count")
    longest_streak_days: int = Field(description="longest run of consecutive local dates with activity")
    avg_daily_active_hours: float = Field(description="distinct (local date, hour) with activity / local dates with activity")
    focus_score: float = Field(description="share of counted commits in the most-committed repository")


class CollaborationMetrics(BaseModel):
    unique_collaborators: int = Field(description="distinct other developers reviewed by, reviewing, or co-authoring with the developer")
    cross_team_pr_ratio: float = Field(description="share of reviewed PRs whose author shares no team with the developer")
    review_given_count: int = Field(description="counted reviews submitted by the developer")
    review_received_count: int = Field(description="counted reviews submitted by others on the developer's PRs")
    knowledge_sharing_score: float = Field(description="review_given_count / (review_given_count + review_received_count)")


CATEGORY_MODELS: dict[str, type[BaseModel]] = {
    "velocity": VelocityMetrics,
    "efficiency": EfficiencyMetrics,
    "quality": QualityMetrics,
    "sustainability": SustainabilityMetrics,
    "collaboration": CollaborationMetrics,
}


# --- team and workspace categories (METRICS.md §6) ------------------------------
class GroupSustainability(BaseModel):
    weekend_commit_ratio: float
    late_night_commit_ratio: float


class GroupCollaboration(BaseModel):
    cross_team_pr_ratio: float
    review_given_count: int
    review_received_count: int
    knowledge_sharing_score: float


GROUP_CATEGORY_MODELS: dict[str, type[BaseModel]] = {
    "velocity": VelocityMetrics,
    "efficiency": EfficiencyMetrics,
    "quality": QualityMetrics,
    "sustainability": GroupSustainability,
    "collaboration": GroupCollaboration,
}


def metric_keys(models: dict[str, type[BaseModel]]) -> dict[str, list[str]]:
    return {c: list(m.model_fields) for c, m in models.items()}


# --- envelopes --------------------------------------------------------------------
class PeriodEnvelope(BaseModel):
    workspace_id: str
    period_type: PeriodType
    period_start: date
    period_end: date = Field(description="exclusive end of the period")
    computed_at: datetime | None = Field(description="when the partition was computed (UTC), from the partition ledger")


def _category_response(name: str, model: type[BaseModel]) -> type[BaseModel]:
    return type(name, (PeriodEnvelope,), {"__annotations__": {"developer_id": str, "metrics": model}})


CATEGORY_RESPONSES = {
    c: _category_response(f"Developer{c.capitalize()}Response", m) for c, m in CATEGORY_MODELS.items()
}


class DeveloperCategories(BaseModel):
    velocity: VelocityMetrics
    efficiency: EfficiencyMetrics
    quality: QualityMetrics
    sustainability: SustainabilityMetrics
    collaboration: CollaborationMetrics


class DeveloperRollup(PeriodEnvelope, DeveloperCategories):
    developer_id: str


class CompareItem(DeveloperCategories):
    developer_id: str


class CompareResponse(BaseModel):
    period_type: PeriodType
    period_start: date
    period_end: date
    computed_at: datetime | None
    developers: list[CompareItem]


class GroupCategories(BaseModel):
    member_count: int
    active_member_count: int
    workload_gini: float = Field(description="Gini of commits_count + prs_merged + review_given_count across members")
    velocity: VelocityMetrics
    efficiency: EfficiencyMetrics
    quality: QualityMetrics
    sustainability: GroupSustainability
    collaboration: GroupCollaboration


class TeamSnapshot(PeriodEnvelope, GroupCategories):
    team_id: str


class RepositoryHealth(BaseModel):
    repository: str
    bus_factor: int = Field(description="fewest developers covering >= 50% of the repository's counted commits")
    commits_count: int


class WorkspaceHealth(PeriodEnvelope, GroupCategories):
    repositories: list[RepositoryHealth]


class WorkloadMember(BaseModel):
    developer_id: str
    commits_count: int
    prs_merged: int
    review_given_count: int
    share: float = Field(description="the member's share of the team's commits + merged PRs + reviews given")


class TeamWorkload(BaseModel):
    workspace_id: str
    team_id: str
    period_type: PeriodType
    period_start: date
    period_end: date
    computed_at: datetime | None
    workload_gini: float
    members: list[WorkloadMember]


class LeaderboardItem(BaseModel):
    rank: int
    developer_id: str
    value: float


class Leaderboard(BaseModel):
    workspace_id: str
    category: Category
    metric: str
    period_type: PeriodType
    period_start: date
    period_end: date
    computed_at: datetime | None
    items: list[LeaderboardItem]
    next_cursor: str | None


class HistoryItem(DeveloperCategories):
    period_start: date
    period_end: date
    computed_at: datetime | None


class History(BaseModel):
    workspace_id: str
    developer_id: str
    period_type: PeriodType
    items: list[HistoryItem]
    next_cursor: str | None


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    data_version: int | None
