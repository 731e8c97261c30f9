/* ---
description: >
  Team membership per workspace: the configured teams, plus the teams read
  from the source when the workspace sets `teams_from_github`. Bots are never
  members. A developer may be in several teams (METRICS.md §8.12).
kind: table
grain: one row per (workspace_id, team_id, developer_id)
unique_key: [workspace_id, team_id, developer_id]
--- */
with

configured_members as (select workspace_id, team_id, developer_id from {{ source('config', 'team_members') }}),
source_members as (select * from {{ source('raw', 'team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),
bots as (select * from {{ ref('stg_bots') }}),

members as (
    select workspace_id, team_id, lower(developer_id) as developer_id from configured_members
    union
    select source_members.workspace_id, source_members.team_id, lower(source_members.login)
    from source_members
    join workspaces on workspaces.workspace_id = source_members.workspace_id
    where workspaces.teams_from_github
),

final as (
    select * from members
    where not {{ is_bot('developer_id', 'workspace_id', 'bots') }}
)

select * from final
