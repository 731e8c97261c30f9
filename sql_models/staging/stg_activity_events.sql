/* ---
description: >
  Activity events (METRICS.md §8.6) with their UTC and local times: counted
  commits; the developer's own PRs' created, merged (even when someone else
  merged) and closed times; counted reviews; counted review comments. Local
  time uses the developer's schedule timezone, else the commit's recorded
  UTC offset, else the workspace default timezone (§0).
kind: table
grain: one row per event
columns:
  event_at: UTC timestamp of the event
  local_at: the same instant on the developer's local clock
--- */
with

commits as (select * from {{ ref('stg_commits') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
settings as (select * from {{ ref('stg_developer_settings') }}),

events as (
    select workspace_id, developer_id, repository, 'commit' as event_type, authored_at as event_at,
           author_utc_offset_minutes as utc_offset_minutes
    from commits where is_counted
    union all
    select workspace_id, author_id, repository, 'pr_opened', created_at, null
    from pull_requests where author_is_human
    union all
    select workspace_id, author_id, repository, 'pr_merged', merged_at, null
    from pull_requests where author_is_human and merged_at is not null
    union all
    select workspace_id, author_id, repository, 'pr_closed', closed_at, null
    from pull_requests where author_is_human and closed_at is not null
    union all
    select workspace_id, reviewer_id, repository, 'review', submitted_at, null
    from reviews
    union all
    select workspace_id, author_id, repository, 'review_comment', created_at, null
    from review_comments
),

final as (
    select
        events.workspace_id,
        events.developer_id,
        events.repository,
        events.event_type,
        events.event_at,
        {{ to_local('events.event_at', 'settings.schedule_timezone', 'events.utc_offset_minutes', 'settings.default_timezone') }} as local_at
    from events
    join settings
        on settings.workspace_id = events.workspace_id and settings.developer_id = events.developer_id
)

select * from final
