/* ---
description: >
  Efficiency per developer and period (METRICS.md §2, §8.4). "Merged PRs"
  are the developer's PRs with merged_at in the period. Alongside each mean
  or ratio the model keeps its sum and count (the `n_*` / `sum_*` columns) so
  that team and workspace roll-ups divide pooled sums, never average
  averages.
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  avg_pr_cycle_time_hours: mean over merged PRs of merged_at - created_at
  avg_time_to_first_review_hours: mean over merged PRs with a first review (at or before merge) of first review - created_at
  avg_pr_size: mean over merged PRs of additions + deletions
  pr_merge_rate: among the developer's PRs closed in the period, the share merged
  first_commit_to_merge_hours: mean over merged PRs with listed commits of merged_at - first commit authored_at
  rework_ratio: over merged PRs, commits authored after the first review / all their commits
  n_merged_prs: the developer's PRs with merged_at in the period
  sum_cycle_seconds: over them, merged_at - created_at, in seconds
  n_reviewed_merged_prs: of them, those with a first review at or before the merge
  sum_first_review_seconds: over those, first review - created_at, in seconds
  sum_pr_size: over the merged PRs, additions + deletions
  n_merged_prs_with_commits: merged PRs with listed commits
  sum_first_commit_to_merge_seconds: over those, merged_at - first commit authored_at, in seconds
  n_merged_pr_commits: the commits of the merged PRs
  n_rework_commits: of those, commits authored after their PR's first review
  n_closed_prs: the developer's PRs with closed_at in the period (merged or not)
  n_closed_prs_merged: of those, the merged ones
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
pr_facts as (select * from {{ ref('stg_pr_facts') }}),

merged as (
    select
        workspace_id,
        author_id as developer_id,
        {{ period_start_of('merged_at') }} as period_start,
        count(*) as n_merged_prs,
        sum({{ seconds_between('merged_at', 'created_at') }}) as sum_cycle_seconds,
        count(first_review_at) as n_reviewed_merged_prs,
        sum({{ seconds_between('first_review_at', 'created_at') }}) as sum_first_review_seconds,
        sum(size) as sum_pr_size,
        count(first_commit_at) as n_merged_prs_with_commits,
        sum({{ seconds_between('merged_at', 'first_commit_at') }}) as sum_first_commit_to_merge_seconds,
        sum(commit_count) as n_merged_pr_commits,
        sum(rework_commit_count) as n_rework_commits
    from pr_facts
    where author_is_human and merged_at >= {{ period_start }} and merged_at < {{ period_end }}
    group by 1, 2, 3
),

closed as (
    select
        workspace_id,
        author_id as developer_id,
        {{ period_start_of('closed_at') }} as period_start,
        count(*) as n_closed_prs,
        count(merged_at) as n_closed_prs_merged
    from pr_facts
    where author_is_human and closed_at >= {{ period_start }} and closed_at < {{ period_end }}
    group by 1, 2, 3
),

sums as (
    select
        -- the spine, with the period's day-grain sums (developer_periods.sql)
        developer_periods.*,
        coalesce(merged.n_merged_prs, 0) as n_merged_prs,
        coalesce(merged.sum_cycle_seconds, 0) as sum_cycle_seconds,
        coalesce(merged.n_reviewed_merged_prs, 0) as n_reviewed_merged_prs,
        coalesce(merged.sum_first_review_seconds, 0) as sum_first_review_seconds,
        coalesce(merged.sum_pr_size, 0) as sum_pr_size,
        coalesce(merged.n_merged_prs_with_commits, 0) as n_merged_prs_with_commits,
        coalesce(merged.sum_first_commit_to_merge_seconds, 0) as sum_first_commit_to_merge_seconds,
        coalesce(merged.n_merged_pr_commits, 0) as n_merged_pr_commits,
        coalesce(merged.n_rework_commits, 0) as n_rework_commits,
        coalesce(closed.n_closed_prs, 0) as n_closed_prs,
        coalesce(closed.n_closed_prs_merged, 0) as n_closed_prs_merged
    from developer_periods
    left join merged using (workspace_id, developer_id, period_start)
    left join closed using (workspace_id, developer_id, period_start)
),

final as (
    select
        workspace_id, developer_id, period_type, period_start, period_end,
        {{ efficiency_from_sums() }},
        n_merged_prs, sum_cycle_seconds, n_reviewed_merged_prs, sum_first_review_seconds, sum_pr_size,
        n_merged_prs_with_commits, sum_first_commit_to_merge_seconds, n_merged_pr_commits, n_rework_commits,
        n_closed_prs, n_closed_prs_merged
    from sums
)

select * from final
