/* ---
description: >
  Counted inline review comments only (METRICS.md §8.5): by a human other
  than the PR's author, on a human's PR, not part of a PENDING review,
  whatever the state of its review.
kind: table
grain: one row per (workspace_id, comment_id)
unique_key: [workspace_id, comment_id]
--- */
with

review_comments as (select * from {{ source('raw', 'review_comments') }}),
reviews as (select * from {{ source('raw', 'reviews') }}),
users as (select * from {{ source('raw', 'users') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
bots as (select * from {{ ref('stg_bots') }}),

resolved as (
    select
        pull_requests.workspace_id,
        review_comments.comment_id,
        review_comments.repository,
        review_comments.pr_number,
        review_comments.review_id,
        {{ account_login('users.login', 'review_comments.author_login') }} as author_id,
        pull_requests.author_id as pr_author_id,
        pull_requests.author_is_human as pr_author_is_human,
        review_comments.created_at,
        review_comments.path,
        review_comments.body,
        reviews.state as review_state
    from review_comments
    join pull_requests
        on pull_requests.repository = review_comments.repository and pull_requests.number = review_comments.pr_number
    left join reviews on reviews.review_id = review_comments.review_id
    left join users on users.user_id = review_comments.author_user_id
),

final as (
    select * exclude (pr_author_is_human, review_state)
    from resolved
    where pr_author_is_human
      and author_id is not null
      and author_id <> pr_author_id
      and review_state is distinct from 'PENDING'
      and not {{ is_bot('author_id', 'workspace_id', 'bots') }}
)

select * from final
