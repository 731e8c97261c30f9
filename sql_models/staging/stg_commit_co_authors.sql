/* ---
description: >
  `Co-authored-by:` trailers of counted commits, resolved like commit authors
  (METRICS.md §8.2, §8.8): a GitHub noreply email maps to its login, then a
  configured alias or the login of linked commits with that email, else the
  lower-cased email. Bots and the commit's own author are left out.
kind: table
grain: one row per (workspace_id, sha, co_author_id)
unique_key: [workspace_id, sha, co_author_id]
--- */
with

commits as (select * from {{ ref('stg_commits') }}),
identity_map as (select * from {{ ref('stg_identity_map') }}),
bots as (select * from {{ ref('stg_bots') }}),

trailers as (
    select
        workspace_id,
        sha,
        developer_id as author_id,
        authored_at,
        lower(trim(unnest(regexp_extract_all(message, '(?im)^co-authored-by:[^<\n]*<([^>\n]+)>', 1)))) as email
    from commits
    where is_counted and message ilike '%co-authored-by:%'
),

resolved as (
    select distinct
        trailers.workspace_id,
        trailers.sha,
        trailers.author_id,
        trailers.authored_at,
        coalesce({{ noreply_login('trailers.email') }}, identity_map.developer_id, trailers.email) as co_author_id
    from trailers
    left join identity_map
        on identity_map.workspace_id = trailers.workspace_id and identity_map.email = trailers.email
),

final as (
    select * from resolved
    where co_author_id <> author_id
      and not {{ is_bot('co_author_id', 'workspace_id', 'bots') }}
)

select * from final
