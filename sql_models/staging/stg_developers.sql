/* ---
description: >
  Every known human developer of a workspace: authors of counted commits,
  authors of human PRs, counted reviewers and review commenters, team
  members and developers with a configured working schedule. The API answers
  404 for a developer_id not in this list.
kind: table
grain: one row per (workspace_id, developer_id)
unique_key: [workspace_id, developer_id]
--- */
with

commits as (select * from {{ ref('stg_commits') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
schedules as (select * from {{ source('config', 'working_schedules') }}),
bots as (select * from {{ ref('stg_bots') }}),

known as (
    select workspace_id, developer_id from commits where is_counted
    union select workspace_id, author_id from pull_requests where author_is_human
    union select workspace_id, reviewer_id from reviews
    union select workspace_id, author_id from review_comments
    union select workspace_id, developer_id from team_members
    union select workspace_id, lower(developer_id) from schedules
),

final as (
    select workspace_id, developer_id
    from known
    where developer_id is not null
      and not {{ is_bot('developer_id', 'workspace_id', 'bots') }}
)

select * from final
