/* ---
description: >
  The developer snapshot: the five metric categories of METRICS.md §1-§5 in
  one row per developer and period, as the insights routes serve them, with
  the counts and sums behind each ratio and mean (the `n_*` / `sum_*`
  columns) so that team and workspace roll-ups divide pooled sums, never
  average averages. The category models (snapshots/developer_*.sql) and
  the spine are ephemeral: they are computed inside this model's statement,
  never written on their own.
kind: period
serve: true
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  is_active: the developer had an activity event (METRICS.md §8.6) in the period (a row exists also for a counted review received, or for membership of a team)
checks:
  non_negative: [commits_count, prs_merged, lines_added, lines_removed, commit_frequency, pr_throughput, avg_commit_size,
                 avg_pr_cycle_time_hours, avg_time_to_first_review_hours, avg_pr_size, first_commit_to_merge_hours,
                 avg_review_depth, review_turnaround_hours, longest_streak_days, avg_daily_active_hours,
                 unique_collaborators, review_given_count, review_received_count,
                 n_merged_prs, n_closed_prs, n_participation_prs, n_turnaround_prs, n_reviewed_prs]
  ratios: [pr_merge_rate, rework_ratio, review_participation_rate, self_merge_rate, weekend_commit_ratio,
           late_night_commit_ratio, focus_score, cross_team_pr_ratio, knowledge_sharing_score]
  equal:
    net_lines: lines_added - lines_removed
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
velocity as (select * from {{ ref('developer_velocity') }}),
efficiency as (select * from {{ ref('developer_efficiency') }}),
quality as (select * from {{ ref('developer_quality') }}),
sustainability as (select * from {{ ref('developer_sustainability') }}),
collaboration as (select * from {{ ref('developer_collaboration') }}),

final as (
    select
        developer_periods.workspace_id,
        developer_periods.developer_id,
        developer_periods.period_type,
        developer_periods.period_start,
        developer_periods.period_end,
        developer_periods.is_active,
        -- velocity
        velocity.commits_count, velocity.prs_merged, velocity.lines_added, velocity.lines_removed,
        velocity.net_lines, velocity.commit_frequency, velocity.pr_throughput, velocity.avg_commit_size,
        -- efficiency
        efficiency.avg_pr_cycle_time_hours, efficiency.avg_time_to_first_review_hours, efficiency.avg_pr_size,
        efficiency.pr_merge_rate, efficiency.first_commit_to_merge_hours, efficiency.rework_ratio,
        -- quality
        quality.review_participation_rate, quality.avg_review_depth, quality.review_turnaround_hours,
        quality.self_merge_rate,
        -- sustainability
        sustainability.weekend_commit_ratio, sustainability.late_night_commit_ratio,
        sustainability.longest_streak_days, sustainability.avg_daily_active_hours, sustainability.focus_score,
        -- collaboration
        collaboration.unique_collaborators, collaboration.cross_team_pr_ratio, collaboration.review_given_count,
        collaboration.review_received_count, collaboration.knowledge_sharing_score,
        -- the counts and sums behind the ratios and means, pooled by group_snapshot
        efficiency.n_merged_prs, efficiency.sum_cycle_seconds, efficiency.n_reviewed_merged_prs,
        efficiency.sum_first_review_seconds, efficiency.sum_pr_size, efficiency.n_merged_prs_with_commits,
        efficiency.sum_first_commit_to_merge_seconds, efficiency.n_merged_pr_commits, efficiency.n_rework_commits,
        efficiency.n_closed_prs, efficiency.n_closed_prs_merged,
        quality.n_participation_prs, quality.n_participated_prs, quality.n_review_comments_given,
        quality.n_turnaround_prs, quality.sum_turnaround_seconds, quality.n_self_merged_prs,
        sustainability.n_weekend_commits, sustainability.n_late_night_commits,
        collaboration.n_reviewed_prs, collaboration.n_cross_team_reviewed_prs
    -- each category model has one row per row of developer_periods (the spine)
    from developer_periods
    join velocity using (workspace_id, developer_id, period_start)
    join efficiency using (workspace_id, developer_id, period_start)
    join quality using (workspace_id, developer_id, period_start)
    join sustainability using (workspace_id, developer_id, period_start)
    join collaboration using (workspace_id, developer_id, period_start)
)

select * from final
