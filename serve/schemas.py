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


class VelocityMetrics(BaseModel):
    commits_count: int = Field(description="counted commits (non-merge, human, de-duplicated by SHA)")
    prs_merged: int = Field(description="PRs authored by the developer merged in the period")
    lines_added: int
    lines_removed: int
    net_lines: int = Field(description="lines_added - lines_removed")
    commit_frequency: float = Field(description="commits per working day")
    pr_throughput: float = Field(description="PRs merged per week")
    avg_commit_size: float = Field(description="(lines_added + lines_removed) / commits_count")


CATEGORY_MODELS: dict[str, type[BaseModel]] = {"velocity": VelocityMetrics}


class PeriodEnvelope(BaseModel):
    workspace_id: str
    period_type: PeriodType
    period_start: date
    period_end: date
    computed_at: datetime | None = Field(description="when the partition was computed (UTC), from the partition ledger")


class DeveloperCategoryResponse(PeriodEnvelope):
    developer_id: str
    metrics: dict = Field(description="exactly the keys of the category in METRICS.md")


class VelocityResponse(PeriodEnvelope):
    developer_id: str
    metrics: VelocityMetrics


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    data_version: int | None
