/* ---
description: >
  Counted reviews only (METRICS.md §8.3): state APPROVED, CHANGES_REQUESTED
  or COMMENTED, submitted, by a human other than the PR's author, on a
  human's PR. DISMISSED and PENDING reviews count nowhere.
kind: table
grain: one row per (workspace_id, review_id)
unique_key: [workspace_id, review_id]
--- */
with

reviews as (select * from {{ source('raw', 'reviews') }}),
users as (select * from {{ source('raw', 'users') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
bots as (select * from {{ ref('stg_bots') }}),

resolved as (
    select
        pull_requests.workspace_id,
        reviews.review_id,
        reviews.repository,
        reviews.pr_number,
        {{ account_login('users.login', 'reviews.reviewer_login') }} as reviewer_id,
        pull_requests.author_id as pr_author_id,
        pull_requests.author_is_human as pr_author_is_human,
        reviews.state,
        reviews.submitted_at,
        reviews.body
    from reviews
    join pull_requests
        on pull_requests.repository = reviews.repository and pull_requests.number = reviews.pr_number
    left join users on users.user_id = reviews.reviewer_user_id
),

final as (
    select * exclude (pr_author_is_human)
    from resolved
    where state in ('APPROVED', 'CHANGES_REQUESTED', 'COMMENTED')
      and submitted_at is not null
      and pr_author_is_human
      and reviewer_id is not null
      and reviewer_id <> pr_author_id
      and not {{ is_bot('reviewer_id', 'workspace_id', 'bots') }}
)

select * from final
