-- Kernel foundation: identity, workspaces, API keys, credentials, audit log
-- and idempotency records.

-- pgvector is optional on a PostgreSQL server; vector features check for it.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'vector') then
    create extension if not exists vector;
  end if;
end
$$;

create table users (
  id text primary key,
  email text not null unique,
  name text not null,
  password_hash text not null,
  created_at timestamptz(3) not null default now()
);

create table workspaces (
  id text primary key,
  slug text not null unique,
  name text not null,
  created_at timestamptz(3) not null default now()
);

create table memberships (
  workspace_id text not null references workspaces(id) on delete cascade,
  user_id text not null references users(id) on delete cascade,
  role text not null check (role in ('owner', 'editor', 'viewer')),
  created_at timestamptz(3) not null default now(),
  primary key (workspace_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

create table sessions (
  id text primary key,
  token_hash text not null unique,
  user_id text not null references users(id) on delete cascade,
  created_at timestamptz(3) not null default now(),
  expires_at timestamptz(3) not null
);
create index sessions_user_idx on sessions (user_id);

create table api_keys (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  prefix text not null,
  key_hash text not null unique,
  role text not null check (role in ('owner', 'editor', 'viewer')),
  created_by text,
  created_at timestamptz(3) not null default now(),
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);
create index api_keys_workspace_idx on api_keys (workspace_id);

-- workspace_id null marks a global credential that every workspace falls back to.
create table credentials (
  id text primary key,
  workspace_id text references workspaces(id) on delete cascade,
  name text not null,
  type text not null,
  ciphertext bytea not null,
  iv bytea not null,
  auth_tag bytea not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index credentials_workspace_name_idx on credentials (coalesce(workspace_id, ''), name);
create index credentials_workspace_idx on credentials (workspace_id, name);

create table audit_log (
  id bigserial primary key,
  at timestamptz(3) not null default now(),
  workspace_id text,
  actor_type text not null,
  actor_id text not null,
  action text not null,
  target text,
  details jsonb
);
create index audit_log_workspace_idx on audit_log (workspace_id, at);

create table idempotency_keys (
  scope text not null,
  key text not null,
  request_hash text not null,
  status integer not null,
  body text not null,
  created_at timestamptz(3) not null default now(),
  primary key (scope, key)
);
