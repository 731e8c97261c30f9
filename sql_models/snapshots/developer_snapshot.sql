/* ---
description: >
  The developer snapshot: the five metric categories of METRICS.md §1-§5 in
  one row per developer and period, as the insights routes serve them.
kind: period
serve: true
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
checks:
  non_negative: [commits_count, prs_merged, lines_added, lines_removed, commit_frequency, pr_throughput, avg_commit_size,
                 avg_pr_cycle_time_hours, avg_time_to_first_review_hours, avg_pr_size, first_commit_to_merge_hours,
                 avg_review_depth, review_turnaround_hours, longest_streak_days, avg_daily_active_hours,
                 unique_collaborators, review_given_count, review_received_count]
  ratios: [pr_merge_rate, rework_ratio, review_participation_rate, self_merge_rate, weekend_commit_ratio,
           late_night_commit_ratio, focus_score, cross_team_pr_ratio, knowledge_sharing_score]
  equal:
    net_lines: lines_added - lines_removed
--- */
with

velocity as (select * from {{ ref('developer_velocity') }}),
efficiency as (select * from {{ ref('developer_efficiency') }}),
quality as (select * from {{ ref('developer_quality') }}),
sustainability as (select * from {{ ref('developer_sustainability') }}),
collaboration as (select * from {{ ref('developer_collaboration') }}),

final as (
    select
        velocity.workspace_id,
        velocity.developer_id,
        velocity.period_type,
        velocity.period_start,
        velocity.period_end,
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
        collaboration.review_received_count, collaboration.knowledge_sharing_score
    -- each category model has one row per row of developer_periods (the spine)
    from velocity
    join efficiency using (workspace_id, developer_id, period_start)
    join quality using (workspace_id, developer_id, period_start)
    join sustainability using (workspace_id, developer_id, period_start)
    join collaboration using (workspace_id, developer_id, period_start)
)

select * from final
