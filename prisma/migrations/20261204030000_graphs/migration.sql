-- Graphs: the editable draft of each graph with its metadata, and the
-- immutable versions published from it.

create table graphs (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  description text not null default '',
  -- URL-friendly name, unique within the workspace when set
  slug text,
  tags text[] not null default '{}',
  -- graph metadata settings (not the run settings inside the definition)
  settings jsonb not null default '{}',
  -- how callers authenticate to the graph's published endpoints
  endpoint_auth text not null default 'api_key' check (endpoint_auth in ('api_key', 'public')),
  -- cron schedules the graph suggests to the scheduler: [{ cron, timezone?, description? }]
  schedule_hints jsonb not null default '[]',
  -- the editable MifyGraph document
  draft jsonb not null,
  draft_updated_at timestamptz(3) not null default now(),
  created_by text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  unique (workspace_id, slug)
);
-- Newest first, the order of the list API and of its cursor.
create index graphs_workspace_created_idx on graphs (workspace_id, created_at desc, id desc);
create index graphs_tags_idx on graphs using gin (tags);

-- The live version of a graph is the one with status 'published' and the
-- latest published_at; archiving it makes the previously published one live.
create table graph_versions (
  id text primary key,
  graph_id text not null references graphs(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  number integer not null check (number >= 1),
  status text not null default 'published' check (status in ('published', 'archived')),
  -- immutable snapshot of the draft at publish time
  definition jsonb not null,
  -- SHA-256 (hex) of the definition as canonical JSON (keys sorted)
  definition_hash text not null,
  created_by text,
  created_at timestamptz(3) not null default now(),
  published_at timestamptz(3) not null default now(),
  archived_at timestamptz(3),
  unique (graph_id, number),
  -- one version per distinct definition, so publishing an unchanged draft finds the existing one
  unique (graph_id, definition_hash)
);
create index graph_versions_live_idx on graph_versions (graph_id, status, published_at desc);
create index graph_versions_workspace_idx on graph_versions (workspace_id);
