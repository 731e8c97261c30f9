/* ---
description: >
  Collaboration per developer and period (METRICS.md §5, §8.8, §8.11), with
  the counts behind each ratio for pooled roll-ups.
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  unique_collaborators: distinct other developers who reviewed the developer's PRs, had PRs reviewed by the developer, or co-authored a counted commit with them, in the period
  cross_team_pr_ratio: among the distinct PRs the developer reviewed in the period, the share whose author shares no team with the developer (0 without a team)
  review_given_count: counted reviews the developer submitted in the period
  review_received_count: counted reviews others submitted in the period on the developer's PRs
  knowledge_sharing_score: review_given_count / (review_given_count + review_received_count)
  n_reviewed_prs: distinct PRs the developer reviewed in the period
  n_cross_team_reviewed_prs: of those, the PRs whose author shares no team with the developer
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
collaborators_by_day as (select * from {{ ref('stg_developer_collaborators') }}),
reviewed_prs as (select * from {{ ref('stg_developer_reviewed_prs') }}),

collaborators as (
    -- each collaborator counted on the first of their dates in the period
    select workspace_id, developer_id, {{ period_start_of('day') }} as period_start, count(*) as unique_collaborators
    from collaborators_by_day
    where day >= {{ period_start }} and day < {{ period_end }}
      and {{ first_in_period('previous_day', period_start_of('day')) }}
    group by 1, 2, 3
),

reviewed_pr_teams as (
    -- each PR the developer reviewed counted on the first of its dates in the period;
    -- is_cross_team is false for a developer with no team
    select workspace_id, developer_id, {{ period_start_of('day') }} as period_start,
           count(*) as n_reviewed_prs,
           count(*) filter (where is_cross_team) as n_cross_team_reviewed_prs
    from reviewed_prs
    where day >= {{ period_start }} and day < {{ period_end }}
      and {{ first_in_period('previous_day', period_start_of('day')) }}
    group by 1, 2, 3
),

sums as (
    select
        -- the spine, with the period's day-grain sums (developer_periods.sql)
        developer_periods.*,
        coalesce(collaborators.unique_collaborators, 0) as unique_collaborators,
        coalesce(reviewed_pr_teams.n_reviewed_prs, 0) as n_reviewed_prs,
        coalesce(reviewed_pr_teams.n_cross_team_reviewed_prs, 0) as n_cross_team_reviewed_prs
    from developer_periods
    left join collaborators using (workspace_id, developer_id, period_start)
    left join reviewed_pr_teams using (workspace_id, developer_id, period_start)
),

final as (
    select
        workspace_id, developer_id, period_type, period_start, period_end,
        unique_collaborators,
        {{ collaboration_ratios_from_sums() }},
        n_reviewed_prs, n_cross_team_reviewed_prs
    from sums
)

select * from final
