-- The raw layer: what every source (GitHub REST, local git, the demo
-- generator) writes, keyed by each entity's natural key. Timestamps are
-- naive TIMESTAMP values in UTC. `payload` keeps the source's original JSON
-- (NULL for sources that have none, such as git).  Sources never write
-- ingest times into these rows: re-running an ingest gives identical rows.
-- What a run inserted or changed is recorded in raw.change_log instead.

create schema if not exists raw;

-- Repositories known to any workspace ('owner/name', lower-cased).
create table if not exists raw.repositories (
    repository      varchar primary key,
    github_id       bigint,
    is_fork         boolean not null default false,
    parent          varchar,            -- 'owner/name' of the fork parent
    default_branch  varchar,
    source          varchar not null,   -- github | git | demo
    payload         json
);

-- Which repositories belong to which workspace (an org expands to many).
create table if not exists raw.workspace_repositories (
    workspace_id    varchar not null,
    repository      varchar not null,
    primary key (workspace_id, repository)
);

-- GitHub accounts, keyed by numeric id; `login` is the current login.
create table if not exists raw.users (
    user_id         bigint primary key,
    login           varchar not null,
    type            varchar,            -- User | Bot | Organization
    name            varchar,
    email           varchar,
    payload         json
);

-- One row per commit and repository it was seen in (staging de-duplicates
-- by SHA across repositories, METRICS.md 8.1).
create table if not exists raw.commits (
    repository          varchar not null,
    sha                 varchar not null,
    author_user_id      bigint,         -- linked GitHub account, if any
    author_login        varchar,        -- login at fetch time
    author_name         varchar,
    author_email        varchar,
    authored_at         timestamp not null,
    author_utc_offset_minutes integer,  -- git keeps it; GitHub REST does not
    committer_login     varchar,
    committer_email     varchar,
    committed_at        timestamp,
    message             varchar,
    parent_count        integer not null default 1,
    additions           integer,        -- NULL until the commit detail is fetched
    deletions           integer,
    on_default_branch   boolean not null default false,
    payload             json,
    primary key (repository, sha)
);

create table if not exists raw.commit_files (
    repository      varchar not null,
    sha             varchar not null,
    path            varchar not null,
    status          varchar,
    additions       integer,
    deletions       integer,
    previous_path   varchar,          -- a renamed file's old path (status 'renamed')
    primary key (repository, sha, path)
);
-- warehouses created before previous_path existed
alter table raw.commit_files add column if not exists previous_path varchar;

create table if not exists raw.pull_requests (
    repository      varchar not null,
    number          integer not null,
    github_id       bigint,
    author_user_id  bigint,
    author_login    varchar,
    title           varchar,
    body            varchar,
    state           varchar,            -- open | closed
    draft           boolean,
    labels          varchar[],
    base_ref        varchar,
    head_ref        varchar,
    created_at      timestamp not null,
    updated_at      timestamp,
    closed_at       timestamp,
    merged_at       timestamp,
    merged_by_login varchar,
    additions       integer,            -- single-PR fields (NULL until fetched)
    deletions       integer,
    changed_files   integer,
    payload         json,
    primary key (repository, number)
);

-- The commits GitHub lists for a PR (merge commits included).
create table if not exists raw.pull_request_commits (
    repository      varchar not null,
    pr_number       integer not null,
    sha             varchar not null,
    primary key (repository, pr_number, sha)
);

create table if not exists raw.pull_request_files (
    repository      varchar not null,
    pr_number       integer not null,
    path            varchar not null,
    status          varchar,
    additions       integer,
    deletions       integer,
    primary key (repository, pr_number, path)
);

create table if not exists raw.reviews (
    review_id           bigint primary key,
    repository          varchar not null,
    pr_number           integer not null,
    reviewer_user_id    bigint,
    reviewer_login      varchar,        -- NULL for a deleted account
    state               varchar not null,   -- APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    body                varchar,
    submitted_at        timestamp,      -- NULL while PENDING
    commit_id           varchar,
    payload             json
);

create table if not exists raw.review_comments (
    comment_id          bigint primary key,
    repository          varchar not null,
    pr_number           integer not null,
    review_id           bigint,
    author_user_id      bigint,
    author_login        varchar,
    body                varchar,
    path                varchar,
    created_at          timestamp not null,
    updated_at          timestamp,
    in_reply_to_id      bigint,
    payload             json
);

-- Teams read from GitHub (teams from config live in the config schema).
create table if not exists raw.team_members (
    workspace_id    varchar not null,
    team_id         varchar not null,   -- the team slug
    login           varchar not null,
    primary key (workspace_id, team_id, login)
);

-- Every row an ingest run inserted or changed, with the event timestamps
-- of that row (the late-data sensor maps them to partitions).
create sequence if not exists raw.change_log_seq;
create table if not exists raw.change_log (
    seq             bigint primary key default nextval('raw.change_log_seq'),
    run_id          varchar not null,
    entity          varchar not null,   -- the raw table name
    change          varchar not null,   -- insert | update
    repository      varchar,
    pr_number       integer,
    entity_key      varchar not null,   -- the natural key, as text
    event_times     timestamp[] not null
);

-- Incremental collection state, per source, repository and entity.
create table if not exists raw.ingest_cursors (
    source          varchar not null,
    repository      varchar not null,
    entity          varchar not null,
    cursor_value    varchar,
    etag            varchar,
    primary key (source, repository, entity)
);

-- The content of a file at a commit, for the files the analyzers read (the
-- dependency manifests: requirements*.txt, pyproject.toml, package.json,
-- go.mod, Cargo.toml). One row per repository, path and commit that changed
-- the file (GitHub: the contents API with ref=<sha>; git: one `git cat-file
-- --batch` per ingest), plus the version at the start of collection. `content`
-- NULL: the commit deleted the file, or it is unreadable (over 1 MiB, binary,
-- a dangling symlink), logged as a warning. The technology tracker reads the
-- default-branch versions as of each period end; the expertise analyzer
-- compares a commit's version with the previous default-branch one.
create table if not exists raw.file_contents (
    repository          varchar not null,
    path                varchar not null,
    sha                 varchar not null,   -- the commit whose tree holds this content
    committed_at        timestamp not null, -- when that commit landed (committer time, UTC)
    on_default_branch   boolean not null default false,
    content             varchar,
    primary key (repository, path, sha)
);
