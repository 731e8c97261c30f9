/* ---
description: >
  Maps a lower-cased email to a developer_id for commits without a linked
  account (METRICS.md §8.2): a configured alias wins; otherwise the login of
  the linked commits anywhere in the data whose author email it is (the most
  frequent login, ties to the smallest). GitHub noreply emails are resolved
  where commits are staged.
kind: table
grain: one row per (workspace_id, email)
unique_key: [workspace_id, email]
--- */
with

commits as (select * from {{ source('raw', 'commits') }}),
users as (select * from {{ source('raw', 'users') }}),
workspaces as (select workspace_id from {{ source('config', 'workspaces') }}),
aliases as (
    select workspace_id, lower(email) as email, min(developer_id) as developer_id
    from {{ source('config', 'identities') }}
    group by 1, 2
),

linked_emails as (
    select
        lower(commits.author_email) as email,
        {{ account_login('users.login', 'commits.author_login') }} as developer_id,
        count(distinct commits.sha) as commits
    from commits
    left join users on users.user_id = commits.author_user_id
    where commits.author_email is not null
      and {{ account_login('users.login', 'commits.author_login') }} is not null
    group by 1, 2
),

most_frequent_login as (
    select email, developer_id
    from (
        select *, row_number() over (partition by email order by commits desc, developer_id) as rank
        from linked_emails
    ) as ranked
    where rank = 1
),

final as (
    select workspace_id, email, developer_id from aliases
    union all
    select workspaces.workspace_id, most_frequent_login.email, most_frequent_login.developer_id
    from most_frequent_login
    cross join workspaces
    where not exists (
        select 1 from aliases
        where aliases.workspace_id = workspaces.workspace_id and aliases.email = most_frequent_login.email
    )
)

select * from final
