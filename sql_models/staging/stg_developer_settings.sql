/* ---
description: >
  The timezone and working days in force for every known developer
  (METRICS.md §0): the developer's working schedule where configured, else
  the workspace settings. `schedule_timezone` is NULL without a schedule, so
  that a commit's own UTC offset can take precedence over the default.
kind: table
grain: one row per (workspace_id, developer_id)
unique_key: [workspace_id, developer_id]
--- */
with

workspaces as (select * from {{ source('config', 'workspaces') }}),
schedules as (select * from {{ source('config', 'working_schedules') }}),
developers as (select * from {{ ref('stg_developers') }}),

final as (
    select
        developers.workspace_id,
        developers.developer_id,
        schedules.timezone as schedule_timezone,
        workspaces.default_timezone,
        coalesce(schedules.working_days, workspaces.working_days) as working_days
    from developers
    join workspaces on workspaces.workspace_id = developers.workspace_id
    left join schedules
        on schedules.workspace_id = developers.workspace_id and schedules.developer_id = developers.developer_id
)

select * from final
