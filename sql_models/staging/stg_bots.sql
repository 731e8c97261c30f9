/* ---
description: >
  Bot accounts per workspace besides logins ending in '[bot]' (METRICS.md §0):
  GitHub accounts typed Bot and the workspace's configured `bots` list.
kind: table
grain: one row per (workspace_id, developer_id)
unique_key: [workspace_id, developer_id]
--- */
with

workspaces as (select workspace_id from {{ source('config', 'workspaces') }}),
configured_bots as (select workspace_id, lower(login) as developer_id from {{ source('config', 'bots') }}),
users as (select * from {{ source('raw', 'users') }}),

typed_bots as (
    select workspaces.workspace_id, lower(users.login) as developer_id
    from users
    cross join workspaces
    where users.type = 'Bot'
),

final as (
    select workspace_id, developer_id from configured_bots
    union
    select workspace_id, developer_id from typed_bots
)

select * from final
