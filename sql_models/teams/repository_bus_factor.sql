/* ---
description: >
  Bus factor per configured repository and period (METRICS.md §6, §8.13):
  the smallest number of developers whose counted commits cover at least
  50% of the repository's counted commits in the period; 0 when it has none.
kind: period
serve: true
grain: one row per (workspace_id, repository, period_type, period_start)
unique_key: [workspace_id, repository, period_type, period_start]
columns:
  commits_count: counted commits attributed to the repository (after SHA de-duplication)
checks:
  non_negative: [bus_factor, commits_count]
--- */
with

workspace_repositories as (select * from {{ source('raw', 'workspace_repositories') }}),
day_repositories as (select * from {{ ref('stg_developer_day_repositories') }}),
periods as (select * from {{ periods() }}),

commits_per_developer as (
    select workspace_id, repository, {{ period_start_of('day') }} as period_start, developer_id,
           cast(sum(commits_count) as bigint) as commits
    from day_repositories
    where day >= {{ period_start }} and day < {{ period_end }} and commits_count > 0
    group by 1, 2, 3, 4
),

cumulative as (
    select
        *,
        sum(commits) over (partition by workspace_id, repository, period_start) as total_commits,
        sum(commits) over (
            partition by workspace_id, repository, period_start
            order by commits desc, developer_id
            rows between unbounded preceding and current row
        ) as covered,
        row_number() over (
            partition by workspace_id, repository, period_start order by commits desc, developer_id
        ) as developers
    from commits_per_developer
),

bus_factors as (
    select workspace_id, repository, period_start, min(developers) as bus_factor, cast(max(total_commits) as bigint) as commits_count
    from cumulative
    where 2 * covered >= total_commits
    group by 1, 2, 3
),

final as (
    select
        workspace_repositories.workspace_id,
        workspace_repositories.repository,
        '{{ period_type }}' as period_type,
        periods.period_start,
        periods.period_end,
        coalesce(bus_factors.bus_factor, 0) as bus_factor,
        coalesce(bus_factors.commits_count, 0) as commits_count
    from workspace_repositories
    cross join periods
    left join bus_factors
        on bus_factors.workspace_id = workspace_repositories.workspace_id
       and bus_factors.repository = workspace_repositories.repository
       and bus_factors.period_start = periods.period_start
)

select * from final
