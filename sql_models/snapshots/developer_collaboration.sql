/* ---
description: >
  Collaboration per developer and period (METRICS.md §5, §8.8, §8.11), with
  the counts behind each ratio for pooled roll-ups.
kind: period
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  unique_collaborators: distinct other developers who reviewed the developer's PRs, had PRs reviewed by the developer, or co-authored a counted commit with them, in the period
  cross_team_pr_ratio: among the distinct PRs the developer reviewed in the period, the share whose author shares no team with the developer (0 without a team)
  review_given_count: counted reviews the developer submitted in the period
  review_received_count: counted reviews others submitted in the period on the developer's PRs
  knowledge_sharing_score: review_given_count / (review_given_count + review_received_count)
checks:
  non_negative: [unique_collaborators, review_given_count, review_received_count, n_reviewed_prs]
  ratios: [cross_team_pr_ratio, knowledge_sharing_score]
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
co_authors as (select * from {{ ref('stg_commit_co_authors') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

reviews_in_period as (
    select *, {{ period_start_of('submitted_at') }} as period_start
    from reviews
    where submitted_at >= {{ period_start }} and submitted_at < {{ period_end }}
),

co_authorships as (
    select *, {{ period_start_of('authored_at') }} as period_start
    from co_authors
    where authored_at >= {{ period_start }} and authored_at < {{ period_end }}
),

collaborator_pairs as (
    select workspace_id, pr_author_id as developer_id, period_start, reviewer_id as collaborator_id from reviews_in_period
    union
    select workspace_id, reviewer_id, period_start, pr_author_id from reviews_in_period
    union
    select workspace_id, author_id, period_start, co_author_id from co_authorships
    union
    select workspace_id, co_author_id, period_start, author_id from co_authorships
),

collaborators as (
    select workspace_id, developer_id, period_start, count(*) as unique_collaborators
    from collaborator_pairs
    group by 1, 2, 3
),

reviewed_prs as (
    select distinct workspace_id, reviewer_id as developer_id, period_start, repository, pr_number, pr_author_id
    from reviews_in_period
),

reviewed_pr_teams as (
    select
        reviewed_prs.workspace_id,
        reviewed_prs.developer_id,
        reviewed_prs.period_start,
        count(*) as n_reviewed_prs,
        count(*) filter (where not exists (
            select 1
            from team_members as mine
            join team_members as theirs
                on theirs.workspace_id = mine.workspace_id and theirs.team_id = mine.team_id
            where mine.workspace_id = reviewed_prs.workspace_id
              and mine.developer_id = reviewed_prs.developer_id
              and theirs.developer_id = reviewed_prs.pr_author_id
        )) as n_cross_team_reviewed_prs
    from reviewed_prs
    group by 1, 2, 3
),

has_team as (
    select distinct workspace_id, developer_id from team_members
),

given as (
    select workspace_id, reviewer_id as developer_id, period_start, count(*) as review_given_count
    from reviews_in_period group by 1, 2, 3
),

received as (
    select workspace_id, pr_author_id as developer_id, period_start, count(*) as review_received_count
    from reviews_in_period group by 1, 2, 3
),

sums as (
    select
        developer_periods.*,
        coalesce(collaborators.unique_collaborators, 0) as unique_collaborators,
        coalesce(reviewed_pr_teams.n_reviewed_prs, 0) as n_reviewed_prs,
        -- a developer with no team has no cross-team ratio (METRICS.md §5): 0
        case when has_team.developer_id is null then 0
             else coalesce(reviewed_pr_teams.n_cross_team_reviewed_prs, 0) end as n_cross_team_reviewed_prs,
        coalesce(given.review_given_count, 0) as review_given_count,
        coalesce(received.review_received_count, 0) as review_received_count
    from developer_periods
    left join collaborators using (workspace_id, developer_id, period_start)
    left join reviewed_pr_teams using (workspace_id, developer_id, period_start)
    left join has_team using (workspace_id, developer_id)
    left join given using (workspace_id, developer_id, period_start)
    left join received using (workspace_id, developer_id, period_start)
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
