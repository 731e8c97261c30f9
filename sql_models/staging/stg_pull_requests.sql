/* ---
description: >
  Pull requests of each workspace with the author's developer_id. A PR by a
  bot, or by a deleted account, is nobody's PR (METRICS.md §8.3): its
  `author_is_human` is false and reviews or comments on it count for no one.
kind: table
grain: one row per (workspace_id, repository, number)
unique_key: [workspace_id, repository, number]
--- */
with

pull_requests as (select * from {{ source('raw', 'pull_requests') }}),
workspace_repositories as (select * from {{ source('raw', 'workspace_repositories') }}),
users as (select * from {{ source('raw', 'users') }}),
bots as (select * from {{ ref('stg_bots') }}),

resolved as (
    select
        workspace_repositories.workspace_id,
        pull_requests.repository,
        pull_requests.number,
        {{ account_login('users.login', 'pull_requests.author_login') }} as author_id,
        pull_requests.title,
        pull_requests.labels,
        pull_requests.created_at,
        pull_requests.merged_at,
        pull_requests.closed_at,
        pull_requests.additions,
        pull_requests.deletions,
        pull_requests.changed_files,
        lower(pull_requests.merged_by_login) as merged_by_id
    from pull_requests
    join workspace_repositories on workspace_repositories.repository = pull_requests.repository
    left join users on users.user_id = pull_requests.author_user_id
),

final as (
    select
        *,
        author_id is not null and not {{ is_bot('author_id', 'workspace_id', 'bots') }} as author_is_human
    from resolved
)

select * from final
