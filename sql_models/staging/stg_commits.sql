/* ---
description: >
  Every commit of a workspace once per SHA (METRICS.md §8.1: a SHA seen in a
  repository and its fork belongs to the non-fork, else to the smallest
  owner/name), with its resolved developer_id (§8.2), bot flag and merge
  flag. Counted commits are the rows with `is_counted`.
kind: table
grain: one row per (workspace_id, sha)
unique_key: [workspace_id, sha]
columns:
  developer_id: the linked account's current login, else the identity map, else the lower-cased email
  is_counted: a non-merge commit by a human
--- */
with

commits as (select * from {{ source('raw', 'commits') }}),
repositories as (select * from {{ source('raw', 'repositories') }}),
workspace_repositories as (select * from {{ source('raw', 'workspace_repositories') }}),
users as (select * from {{ source('raw', 'users') }}),
identity_map as (select * from {{ ref('stg_identity_map') }}),
bots as (select * from {{ ref('stg_bots') }}),

in_workspace as (
    select
        workspace_repositories.workspace_id,
        commits.*,
        coalesce(repositories.is_fork, false) as repository_is_fork
    from commits
    join workspace_repositories on workspace_repositories.repository = commits.repository
    left join repositories on repositories.repository = commits.repository
),

one_row_per_sha as (
    select *
    from (
        select *, row_number() over (
            partition by workspace_id, sha order by repository_is_fork, repository
        ) as copy_rank
        from in_workspace
    ) as ranked
    where copy_rank = 1
),

resolved as (
    select
        one_row_per_sha.*,
        coalesce(
            {{ account_login('users.login', 'one_row_per_sha.author_login') }},
            {{ noreply_login('one_row_per_sha.author_email') }},
            identity_map.developer_id,
            lower(one_row_per_sha.author_email)
        ) as developer_id
    from one_row_per_sha
    left join users on users.user_id = one_row_per_sha.author_user_id
    left join identity_map
        on identity_map.workspace_id = one_row_per_sha.workspace_id
       and identity_map.email = lower(one_row_per_sha.author_email)
),

final as (
    select
        workspace_id,
        sha,
        repository,
        developer_id,
        authored_at,
        author_utc_offset_minutes,
        coalesce(additions, 0) as additions,
        coalesce(deletions, 0) as deletions,
        parent_count >= 2 as is_merge,
        {{ is_bot('developer_id', 'workspace_id', 'bots') }} as is_bot,
        message
    from resolved
)

select *, not is_merge and not is_bot and developer_id is not null as is_counted
from final
