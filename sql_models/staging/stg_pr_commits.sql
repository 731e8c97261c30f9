/* ---
description: >
  The commits GitHub lists for each pull request, merge commits included
  (METRICS.md §8.4), with their authored time.
kind: table
grain: one row per (workspace_id, repository, pr_number, sha)
unique_key: [workspace_id, repository, pr_number, sha]
--- */
with

pull_request_commits as (select * from {{ source('raw', 'pull_request_commits') }}),
commits as (select * from {{ source('raw', 'commits') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),

final as (
    select
        pull_requests.workspace_id,
        pull_request_commits.repository,
        pull_request_commits.pr_number,
        pull_request_commits.sha,
        commits.authored_at,
        coalesce(commits.parent_count >= 2, false) as is_merge
    from pull_request_commits
    join pull_requests
        on pull_requests.repository = pull_request_commits.repository
       and pull_requests.number = pull_request_commits.pr_number
    left join commits
        on commits.repository = pull_request_commits.repository and commits.sha = pull_request_commits.sha
)

select * from final
