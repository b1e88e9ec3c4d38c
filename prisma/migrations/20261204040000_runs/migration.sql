-- Graph runs: one row per run, one row per step attempt, and the run's event
-- history that live streams replay to late subscribers.

create table runs (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  -- null for a graph sent inline (POST /api/runs); no foreign key, so that a run
  -- record outlives the graph it ran
  graph_id text,
  version_id text,
  parent_run_id text references runs(id) on delete set null,
  -- 0 for a top-level run, parent depth + 1 for a sub-workflow run
  depth integer not null default 0,
  status text not null check (status in ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  -- manual, api, partial, subworkflow, trigger, …
  mode text not null,
  rigor text not null check (rigor in ('audited', 'experimental')),
  input jsonb,
  output jsonb,
  -- { message, code, nodeId, nodeName, stack }
  error jsonb,
  -- { tokens, inputTokens, outputTokens, costUsd }, summed over the steps
  usage jsonb not null default '{}'::jsonb,
  created_by text,
  created_at timestamptz(3) not null default now(),
  started_at timestamptz(3),
  finished_at timestamptz(3),
  timeout_at timestamptz(3),
  cancel_requested boolean not null default false
);
create index runs_workspace_created_idx on runs (workspace_id, created_at);
create index runs_graph_created_idx on runs (graph_id, created_at);
create index runs_status_idx on runs (status);
create index runs_parent_idx on runs (parent_run_id);

-- One row per attempt of one node activation.
create table run_steps (
  id text primary key,
  run_id text not null references runs(id) on delete cascade,
  -- order in which the executor started the steps of the run, from 1
  seq integer not null,
  node_id text not null,
  node_name text not null,
  node_type text not null,
  type_version integer not null,
  -- activation of the node within the run, from 1; loop bodies run once per iteration
  activation integer not null default 1,
  attempt integer not null default 1,
  status text not null check (status in ('running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  -- the node did not run: its pinned data is its output
  pinned boolean not null default false,
  -- the node is disabled and passed its first input through
  disabled boolean not null default false,
  child_run_id text,
  started_at timestamptz(3) not null,
  finished_at timestamptz(3),
  duration_ms integer,
  -- SHA-256 (hex) of the canonical JSON of node type, version, parameters and input items
  input_hash text,
  input jsonb,
  output jsonb,
  output_item_count integer,
  -- input or output was larger than the record limit, so only a preview is stored
  oversized boolean not null default false,
  -- { message, code, nodeName, stack }; stack holds extension frames only
  error jsonb,
  idempotency_key text not null,
  usage jsonb,
  unique (run_id, seq)
);
create index run_steps_status_idx on run_steps (status);

create table run_events (
  run_id text not null references runs(id) on delete cascade,
  -- the SSE event id, from 1 within each run
  seq integer not null,
  type text not null,
  data jsonb not null,
  created_at timestamptz(3) not null default now(),
  primary key (run_id, seq)
);
