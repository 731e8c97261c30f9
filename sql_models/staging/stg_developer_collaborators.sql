/* ---
description: >
  Who collaborated with whom, per UTC date (METRICS.md §5, §8.8): a counted
  review makes its reviewer and the PR's author collaborators of each other
  on the date it was submitted, and a counted commit's `Co-authored-by:`
  trailers make its author and each co-author collaborators of each other on
  the date it was authored. A period's unique_collaborators are the distinct
  collaborators of its dates: each counted on the first of them
  (`previous_day` before the period).
kind: table
grain: one row per (workspace_id, developer_id, day, collaborator_id)
unique_key: [workspace_id, developer_id, day, collaborator_id]
columns:
  day: the UTC date of the review or commit
  collaborator_id: the other developer
  previous_day: the latest earlier UTC date on which the two collaborated (NULL for their first)
--- */
with

reviews as (select * from {{ ref('stg_reviews') }}),
co_authors as (select * from {{ ref('stg_commit_co_authors') }}),

pairs as (
    select workspace_id, pr_author_id as developer_id, cast(submitted_at as date) as day, reviewer_id as collaborator_id from reviews
    union
    select workspace_id, reviewer_id, cast(submitted_at as date), pr_author_id from reviews
    union
    select workspace_id, author_id, cast(authored_at as date), co_author_id from co_authors
    union
    select workspace_id, co_author_id, cast(authored_at as date), author_id from co_authors
),

final as (
    select *, lag(day) over (partition by workspace_id, developer_id, collaborator_id order by day) as previous_day
    from pairs
)

select * from final
