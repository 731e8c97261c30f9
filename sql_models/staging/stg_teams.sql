/* ---
description: >
  Every team of a workspace: the configured teams, plus the teams read from
  the source when the workspace sets `teams_from_github`. A team exists even
  without (human) members, so it still has a snapshot row of zeros.
kind: table
grain: one row per (workspace_id, team_id)
unique_key: [workspace_id, team_id]
--- */
with

configured_teams as (select workspace_id, team_id from {{ source('config', 'teams') }}),
source_members as (select * from {{ source('raw', 'team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),

final as (
    select workspace_id, team_id from configured_teams
    union
    select source_members.workspace_id, source_members.team_id
    from source_members
    join workspaces on workspaces.workspace_id = source_members.workspace_id
    where workspaces.teams_from_github
)

select * from final
