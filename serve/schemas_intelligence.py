"""Response models of the intelligence and analytics routes: the analyzer
output shapes of METRICS.md §7 (from the product spec) under the period
envelope of API.md. Field descriptions are the contract's, shortened;
docs/metrics.md "Analyzers" has every rule."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from .schemas import PeriodEnvelope, PeriodType


# --- commit analyzer ------------------------------------------------------------------
class TypeDistribution(BaseModel):
    feat: int
    fix: int
    refactor: int
    chore: int
    docs: int
    test: int
    style: int
    perf: int
    build: int
    ci: int
    revert: int
    other: int = Field(description="commits no Conventional Commits prefix or keyword rule types")


class TagCount(BaseModel):
    tag: str
    count: int


class CommitDistribution(PeriodEnvelope):
    developer_id: str
    commits_analyzed: int = Field(description="counted commits authored in the period")
    type_distribution: TypeDistribution
    top_tags: list[TagCount] = Field(description="up to five Conventional Commits scopes, most frequent first")
    average_quality_score: float = Field(
        description="0-1: 0.4 conventional prefix + 0.3 subject of 10-72 characters + 0.3 a body on commits "
        "changing over 100 lines (free below)")
    breaking_changes_count: int = Field(description="'!' before the colon, or 'BREAKING CHANGE' in the message")


# --- burnout --------------------------------------------------------------------------
class BurnoutIndicator(BaseModel):
    name: str
    value: float
    normalized: float = Field(description="the value mapped to [0, 1] as the risk score uses it")
    weight: float
    contribution: float = Field(description="weight * normalized")


class BurnoutAlert(BaseModel):
    indicator: str
    severity: str = Field(description="warning | critical")
    message: str


class BurnoutAssessment(PeriodEnvelope):
    developer_id: str
    risk_score: float = Field(description="0.25 late night + 0.20 weekend + 0.20 min(streak/14, 1) + "
                              "0.20 min(days_since_break/21, 1) + 0.15 review_decline")
    risk_level: str = Field(description="low (< 0.3) | moderate (< 0.5) | high (< 0.7) | critical")
    indicators: list[BurnoutIndicator]
    alerts: list[BurnoutAlert]
    trend: str = Field(description="increasing | stable | decreasing versus the previous period (change of 0.05)")
    previous_risk_score: float
    risk_score_change: float


class MemberRisk(BaseModel):
    developer_id: str
    risk_score: float
    risk_level: str
    trend: str
    alerts: int = Field(description="number of alerts")


class RiskDistribution(BaseModel):
    low: int
    moderate: int
    high: int
    critical: int


class TeamBurnout(PeriodEnvelope):
    team_id: str | None = Field(description="the team, or null for the whole workspace")
    member_count: int
    at_risk_count: int = Field(description="members at high or critical risk")
    risk_distribution: RiskDistribution
    avg_risk_score: float
    max_risk_score: float
    increasing_count: int = Field(description="members whose risk is increasing")
    members: list[MemberRisk] = Field(description="highest risk first")


# --- expertise ------------------------------------------------------------------------
class SkillWithConfidence(BaseModel):
    name: str
    skill_type: str = Field(description="language | framework | library")
    ecosystem: str = Field(description="pip | npm | go | cargo for packages; empty for languages")
    proficiency: float = Field(description="0-100: 100 (1 - exp(-sum(w * lines) / 2000)), w = 0.5 ** (age_days / 180)")
    confidence: float = Field(description="0-1: 1 - exp(-sum(w) / 10)")
    recency_factor: float = Field(description="0.5 ** (days since last activity / 180)")
    depth: str = Field(description="novice | intermediate | advanced | expert")
    context: str = Field(description="production | personal | learning")
    commit_count: int
    lines_of_code: int
    last_activity_at: datetime


class DeveloperExpertise(PeriodEnvelope):
    developer_id: str
    skills: list[SkillWithConfidence] = Field(description="most proficient first")
    next_cursor: str | None


class SkillMember(BaseModel):
    developer_id: str
    proficiency: float
    confidence: float
    depth: str
    recency_factor: float


class GroupSkill(BaseModel):
    team_id: str | None = Field(description="the team, or null for the whole workspace")
    member_count: int
    members_with_skill: int
    proficient_members: int = Field(description="members with proficiency >= 50")
    coverage: float = Field(description="members_with_skill / member_count")
    avg_proficiency: float
    max_proficiency: float
    avg_confidence: float
    top_developer_id: str | None
    members: list[SkillMember]


class SkillComparison(PeriodEnvelope):
    skill: str
    skill_type: str
    workspace: GroupSkill | None = Field(description="the whole workspace (null when a team was asked for)")
    teams: list[GroupSkill] = Field(description="teams with a member who has the skill, highest average proficiency first")


# --- review quality -------------------------------------------------------------------
class Thoroughness(BaseModel):
    rubber_stamp: int = Field(description="approved with no comments and no body")
    light: int = Field(description="other reviews with at most two inline comments")
    thorough: int = Field(description="three or more inline comments")


class BehaviorCount(BaseModel):
    behavior: str = Field(description="suggestion | question | explanation | praise")
    count: int


class ReviewQuality(PeriodEnvelope):
    developer_id: str
    total_reviews: int
    average_depth_score: float = Field(description="mean of min(inline comments, 3) / 3 over the reviews")
    thoroughness_distribution: Thoroughness
    review_rate: float = Field(description="review_participation_rate (METRICS.md §3)")
    reviews_per_week: float
    top_mentoring_behaviors: list[BehaviorCount]
    mentoring_score: float = Field(description="mean over review texts of min(1, explanation + 0.5 suggestion + 0.5 question)")


class ResponseTime(PeriodEnvelope):
    developer_id: str
    responses_count: int = Field(description="PRs whose first counted review by the developer falls in the period")
    avg_response_hours: float = Field(description="mean of first review submitted_at - PR created_at")
    median_response_hours: float
    p90_response_hours: float
    responses_within_24h_ratio: float


# --- collaboration --------------------------------------------------------------------
class Collaborator(BaseModel):
    developer_id: str
    interaction_count: int
    review_count: int
    co_author_count: int
    comment_count: int
    strength_score: float = Field(description="1 - exp(-interaction_count / 10)")
    interaction_types: list[str]
    last_interaction_at: datetime


class CollaboratorProfile(PeriodEnvelope):
    developer_id: str
    collaborator_count: int
    total_interactions: int
    collaborators: list[Collaborator] = Field(description="strongest first")
    next_cursor: str | None


class CollaborationEdge(BaseModel):
    developer_a_id: str
    developer_b_id: str
    interaction_count: int
    review_count: int
    co_author_count: int
    comment_count: int
    strength_score: float
    interaction_types: list[str]
    last_interaction_at: datetime


class CollaborationNode(BaseModel):
    developer_id: str
    teams: list[str]
    in_scope: bool = Field(description="a member of the team asked for (always true for the workspace)")
    degree: int = Field(description="edges in this graph")
    interaction_count: int = Field(description="interactions on those edges")


class CollaborationGraph(PeriodEnvelope):
    team_id: str | None
    nodes: list[CollaborationNode]
    edges: list[CollaborationEdge]


class TeamCohesion(PeriodEnvelope):
    team_id: str | None
    member_count: int
    internal_edge_count: int
    density: float
    clustering_coefficient: float
    avg_internal_strength: float
    internal_interactions: int
    external_interactions: int
    cross_team_interaction_ratio: float
    silo_members: list[str] = Field(description="members with edges, none outside their team")
    isolated_members: list[str] = Field(description="members without any edge")


# --- complexity -----------------------------------------------------------------------
class ComplexityDistribution(BaseModel):
    trivial: int
    simple: int
    moderate: int
    complex: int
    critical: int


class CategoryCount(BaseModel):
    category: str
    count: int


class ComponentCount(BaseModel):
    component: str
    count: int


class LayerCount(BaseModel):
    layer: str
    count: int


class ComplexityProfile(BaseModel):
    total_prs_analyzed: int
    complexity_distribution: ComplexityDistribution
    primary_categories: list[CategoryCount]
    common_components: list[ComponentCount]
    common_layers: list[LayerCount]
    avg_files_per_pr: float
    avg_complexity_score: float = Field(description="1 trivial .. 5 critical")
    cross_cutting_ratio: float
    infrastructure_ratio: float
    handles_critical_changes: bool
    avg_review_effort: float = Field(description="counted reviews + inline comments per PR")


class DeveloperComplexity(PeriodEnvelope, ComplexityProfile):
    developer_id: str


class TeamComplexity(PeriodEnvelope, ComplexityProfile):
    team_id: str | None


# --- technology -----------------------------------------------------------------------
class Technology(BaseModel):
    name: str
    ecosystem: str
    versions: list[str] = Field(description="versions in use")
    oldest_version: str | None
    latest_version: str | None = Field(description="the newest version seen in the workspace's manifests")
    status: str = Field(description="current | recent | outdated | deprecated (the worst in use)")
    repositories: list[str]


class UpgradeSuggestion(BaseModel):
    name: str
    ecosystem: str
    current_version: str | None
    suggested_version: str | None
    status: str
    priority: str = Field(description="high (deprecated) | medium (outdated) | low (recent)")
    repositories: list[str] = Field(description="repositories not on the latest version")


class TechnologyProfile(BaseModel):
    technologies: list[Technology]
    current_count: int
    recent_count: int
    outdated_count: int
    deprecated_count: int
    adoption_score: float = Field(description="(current + 0.5 recent) / technologies")
    upgrade_suggestions: list[UpgradeSuggestion]


class DeveloperTechnology(PeriodEnvelope, TechnologyProfile):
    developer_id: str


class TeamTechnology(PeriodEnvelope, TechnologyProfile):
    team_id: str | None


# --- analytics ------------------------------------------------------------------------
class SkillRow(BaseModel):
    developer_id: str
    proficiency: list[float] = Field(description="one value per skill of `skills`, 0 without evidence")


class SkillHeatmap(PeriodEnvelope):
    team_id: str | None
    skills: list[str]
    skill_types: list[str]
    developers: list[SkillRow]


class ActivityCell(BaseModel):
    weekday: int = Field(description="1 = Monday .. 7 = Sunday (local)")
    hour: int = Field(description="0-23 (local)")
    events: int
    commits: int


class ActivityHeatmap(PeriodEnvelope):
    developer_id: str
    total_events: int
    matrix: list[list[int]] = Field(description="7 rows (Monday first) x 24 local hours of activity events")
    cells: list[ActivityCell] = Field(description="the non-empty cells")


class ProductivityPoint(BaseModel):
    period_start: date
    period_end: date
    computed_at: datetime | None
    commits_count: int
    prs_merged: int
    review_given_count: int
    lines_added: int
    lines_removed: int


class ProductivityTrend(BaseModel):
    workspace_id: str
    period_type: PeriodType
    developer_id: str | None
    team_id: str | None
    items: list[ProductivityPoint]
    next_cursor: str | None


class WorkloadItem(BaseModel):
    developer_id: str
    commits_count: int
    prs_merged: int
    review_given_count: int
    workload: int = Field(description="commits_count + prs_merged + review_given_count")
    share: float = Field(description="workload / the group's total")


class Workload(PeriodEnvelope):
    team_id: str | None
    workload_gini: float
    members: list[WorkloadItem]
