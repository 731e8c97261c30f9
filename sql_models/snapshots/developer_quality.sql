/* ---
description: >
  Review quality per developer and period (METRICS.md §3, §8.9, §8.10), with
  the sums and counts behind each ratio for pooled roll-ups.
kind: period
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  review_participation_rate: of the distinct PRs by other humans with a counted review in the period, in repositories of the developer's activity in the period, the share the developer reviewed in the period
  avg_review_depth: counted inline comments the developer wrote in the period / counted reviews the developer submitted in the period
  review_turnaround_hours: mean over PRs whose first counted review by the developer (across all time) falls in the period, of that review's submitted_at - PR created_at
  self_merge_rate: among the developer's PRs merged in the period, the share with no counted APPROVED review at or before merged_at
checks:
  non_negative: [avg_review_depth, review_turnaround_hours, review_given_count, n_participation_prs]
  ratios: [review_participation_rate, self_merge_rate]
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
pr_facts as (select * from {{ ref('stg_pr_facts') }}),
activity_events as (select * from {{ ref('stg_activity_events') }}),

reviews_in_period as (
    select *, {{ period_start_of('submitted_at') }} as period_start
    from reviews
    where submitted_at >= {{ period_start }} and submitted_at < {{ period_end }}
),

prs_reviewed_in_period as (
    select distinct workspace_id, repository, pr_number, pr_author_id, period_start
    from reviews_in_period
),

active_repositories as (
    select distinct workspace_id, developer_id, repository, {{ period_start_of('event_at') }} as period_start
    from activity_events
    where event_at >= {{ period_start }} and event_at < {{ period_end }}
),

participation_denominator as (
    select active_repositories.workspace_id, active_repositories.developer_id, active_repositories.period_start,
           count(*) as n_participation_prs
    from active_repositories
    join prs_reviewed_in_period
        on prs_reviewed_in_period.workspace_id = active_repositories.workspace_id
       and prs_reviewed_in_period.repository = active_repositories.repository
       and prs_reviewed_in_period.period_start = active_repositories.period_start
       and prs_reviewed_in_period.pr_author_id <> active_repositories.developer_id
    group by 1, 2, 3
),

reviews_given as (
    select workspace_id, reviewer_id as developer_id, period_start,
           count(*) as review_given_count,
           count(distinct repository || '#' || pr_number) as n_participated_prs
    from reviews_in_period
    group by 1, 2, 3
),

comments_given as (
    select workspace_id, author_id as developer_id, {{ period_start_of('created_at') }} as period_start,
           count(*) as n_review_comments_given
    from review_comments
    where created_at >= {{ period_start }} and created_at < {{ period_end }}
    group by 1, 2, 3
),

first_review_by_reviewer as (
    select workspace_id, reviewer_id, repository, pr_number, min(submitted_at) as first_reviewed_at
    from reviews
    group by 1, 2, 3, 4
),

turnaround as (
    select
        first_review_by_reviewer.workspace_id,
        first_review_by_reviewer.reviewer_id as developer_id,
        {{ period_start_of('first_review_by_reviewer.first_reviewed_at') }} as period_start,
        count(*) as n_turnaround_prs,
        sum({{ seconds_between('first_review_by_reviewer.first_reviewed_at', 'pull_requests.created_at') }}) as sum_turnaround_seconds
    from first_review_by_reviewer
    join pull_requests
        on pull_requests.workspace_id = first_review_by_reviewer.workspace_id
       and pull_requests.repository = first_review_by_reviewer.repository
       and pull_requests.number = first_review_by_reviewer.pr_number
    where first_review_by_reviewer.first_reviewed_at >= {{ period_start }}
      and first_review_by_reviewer.first_reviewed_at < {{ period_end }}
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
        developer_periods.*,
        coalesce(participation_denominator.n_participation_prs, 0) as n_participation_prs,
        coalesce(reviews_given.n_participated_prs, 0) as n_participated_prs,
        coalesce(comments_given.n_review_comments_given, 0) as n_review_comments_given,
        coalesce(reviews_given.review_given_count, 0) as review_given_count,
        coalesce(turnaround.n_turnaround_prs, 0) as n_turnaround_prs,
        coalesce(turnaround.sum_turnaround_seconds, 0) as sum_turnaround_seconds,
        coalesce(self_merges.n_merged_prs, 0) as n_merged_prs,
        coalesce(self_merges.n_self_merged_prs, 0) as n_self_merged_prs
    from developer_periods
    left join participation_denominator using (workspace_id, developer_id, period_start)
    left join reviews_given using (workspace_id, developer_id, period_start)
    left join comments_given using (workspace_id, developer_id, period_start)
    left join turnaround using (workspace_id, developer_id, period_start)
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
