/* ---
description: >
  Review quality per developer and period (METRICS.md §3, §8.9, §8.10), with
  the sums and counts behind each ratio for pooled roll-ups.
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  review_participation_rate: of the distinct PRs by other humans with a counted review in the period, in repositories of the developer's activity in the period, the share the developer reviewed in the period
  avg_review_depth: counted inline comments the developer wrote in the period / counted reviews the developer submitted in the period
  review_turnaround_hours: mean over PRs whose first counted review by the developer (across all time) falls in the period, of that review's submitted_at - PR created_at
  self_merge_rate: among the developer's PRs merged in the period, the share with no counted APPROVED review at or before merged_at
  n_participation_prs: the denominator of review_participation_rate
  n_participated_prs: its numerator, the PRs of n_participation_prs the developer reviewed in the period
  n_review_comments_given: counted inline review comments the developer wrote in the period
  n_turnaround_prs: PRs whose first counted review by the developer (across all time) falls in the period
  sum_turnaround_seconds: over those, that review's submitted_at - PR created_at, in seconds
  n_self_merged_prs: the developer's PRs merged in the period with no counted APPROVED review at or before merged_at
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
pr_facts as (select * from {{ ref('stg_pr_facts') }}),
reviewed_prs as (select * from {{ ref('stg_developer_reviewed_prs') }}),
day_repositories as (select * from {{ ref('stg_developer_day_repositories') }}),

prs_reviewed_in_period as (
    -- each PR with a counted review in the period, once per reviewer (on the first of
    -- the reviewer's dates with it in the period)
    select workspace_id, developer_id as reviewer_id, {{ period_start_of('day') }} as period_start,
           repository, pr_number, pr_author_id
    from reviewed_prs
    where day >= {{ period_start }} and day < {{ period_end }}
      and {{ first_in_period('previous_day', period_start_of('day')) }}
),

reviewed_prs_per_author as (
    -- per repository and PR author: the distinct PRs with a counted review in the period
    select workspace_id, repository, period_start, pr_author_id, count(distinct pr_number) as n_prs
    from prs_reviewed_in_period
    group by 1, 2, 3, 4
),

reviewed_prs_per_repository as (
    select workspace_id, repository, period_start, sum(n_prs) as n_prs
    from reviewed_prs_per_author
    group by 1, 2, 3
),

active_repositories as (
    -- each repository of the developer's activity in the period, on the first of its dates
    select workspace_id, developer_id, repository, {{ period_start_of('day') }} as period_start
    from day_repositories
    where day >= {{ period_start }} and day < {{ period_end }}
      and {{ first_in_period('previous_day', period_start_of('day')) }}
),

participation_denominator as (
    -- the PRs by others with a counted review in the period, in the repositories of the developer's
    -- activity in the period: per repository, all its reviewed PRs but the developer's own
    select
        active_repositories.workspace_id,
        active_repositories.developer_id,
        active_repositories.period_start,
        cast(sum(reviewed_prs_per_repository.n_prs - coalesce(own_prs.n_prs, 0)) as bigint) as n_participation_prs
    from active_repositories
    join reviewed_prs_per_repository
        on reviewed_prs_per_repository.workspace_id = active_repositories.workspace_id
       and reviewed_prs_per_repository.repository = active_repositories.repository
       and reviewed_prs_per_repository.period_start = active_repositories.period_start
    left join reviewed_prs_per_author as own_prs
        on own_prs.workspace_id = active_repositories.workspace_id
       and own_prs.repository = active_repositories.repository
       and own_prs.period_start = active_repositories.period_start
       and own_prs.pr_author_id = active_repositories.developer_id
    group by 1, 2, 3
),

participated as (
    select workspace_id, reviewer_id as developer_id, period_start, count(*) as n_participated_prs
    from prs_reviewed_in_period
    group by 1, 2, 3
),

self_merges as (
    select workspace_id, author_id as developer_id, {{ period_start_of('merged_at') }} as period_start,
           count(*) as n_merged_prs,
           count(*) filter (where not approved_before_merge) as n_self_merged_prs
    from pr_facts
    where author_is_human and merged_at >= {{ period_start }} and merged_at < {{ period_end }}
    group by 1, 2, 3
),

sums as (
    select
        -- the spine, with the period's day-grain sums (developer_periods.sql)
        developer_periods.*,
        coalesce(participation_denominator.n_participation_prs, 0) as n_participation_prs,
        coalesce(participated.n_participated_prs, 0) as n_participated_prs,
        coalesce(self_merges.n_merged_prs, 0) as n_merged_prs,
        coalesce(self_merges.n_self_merged_prs, 0) as n_self_merged_prs
    from developer_periods
    left join participation_denominator using (workspace_id, developer_id, period_start)
    left join participated using (workspace_id, developer_id, period_start)
    left join self_merges using (workspace_id, developer_id, period_start)
),

final as (
    select
        workspace_id, developer_id, period_type, period_start, period_end,
        {{ quality_from_sums() }},
        n_participation_prs, n_participated_prs, n_review_comments_given, review_given_count,
        n_turnaround_prs, sum_turnaround_seconds, n_merged_prs, n_self_merged_prs
    from sums
)

select * from final
