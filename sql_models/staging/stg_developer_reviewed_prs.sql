/* ---
description: >
  The PRs each developer reviewed, per UTC date of the counted reviews
  (METRICS.md §3, §5, §8.9, §8.11): a period's distinct reviewed PRs
  (review_participation_rate's numerator, cross_team_pr_ratio) are the
  distinct PRs of its dates, and the PRs with a counted review in a period
  (the participation denominator) are the distinct PRs of all reviewers'
  rows of its dates. A PR counts once per period, on the first of its dates
  in the period (`previous_day` before the period).
kind: table
grain: one row per (workspace_id, developer_id, day, repository, pr_number)
unique_key: [workspace_id, developer_id, day, repository, pr_number]
columns:
  developer_id: the reviewer
  day: the UTC date of the reviewer's counted review(s) of the PR
  pr_author_id: the PR's author
  previous_day: the latest earlier UTC date on which the developer reviewed the PR (NULL for the first)
  is_cross_team: the reviewer has a team and shares none with the PR's author (an author with no team counts as cross-team); false for a reviewer with no team, whose cross_team_pr_ratio is 0
--- */
with

reviews as (select * from {{ ref('stg_reviews') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

reviewed_prs as (
    select distinct
        workspace_id, reviewer_id as developer_id, cast(submitted_at as date) as day, repository, pr_number, pr_author_id
    from reviews
),

has_team as (
    select distinct workspace_id, developer_id from team_members
),

teammates as (
    -- the reviewer and author pairs that share a team
    select distinct pairs.workspace_id, pairs.developer_id, pairs.pr_author_id as teammate_id
    from (select distinct workspace_id, developer_id, pr_author_id from reviewed_prs) as pairs
    join team_members as mine
        on mine.workspace_id = pairs.workspace_id and mine.developer_id = pairs.developer_id
    join team_members as theirs
        on theirs.workspace_id = mine.workspace_id and theirs.team_id = mine.team_id
       and theirs.developer_id = pairs.pr_author_id
),

final as (
    select
        reviewed_prs.*,
        lag(reviewed_prs.day) over (
            partition by reviewed_prs.workspace_id, reviewed_prs.developer_id, reviewed_prs.repository, reviewed_prs.pr_number
            order by reviewed_prs.day
        ) as previous_day,
        has_team.developer_id is not null and teammates.teammate_id is null as is_cross_team
    from reviewed_prs
    left join has_team
        on has_team.workspace_id = reviewed_prs.workspace_id and has_team.developer_id = reviewed_prs.developer_id
    left join teammates
        on teammates.workspace_id = reviewed_prs.workspace_id
       and teammates.developer_id = reviewed_prs.developer_id
       and teammates.teammate_id = reviewed_prs.pr_author_id
)

select * from final
