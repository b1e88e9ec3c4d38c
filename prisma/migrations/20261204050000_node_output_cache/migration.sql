-- Partial execution and run history of stored graphs: the output cache of
-- deterministic nodes, saved run inputs, baselines and the comparisons of
-- later runs with them.

-- Output of one deterministic node for one content key: SHA-256 of the node's
-- canonical definition and of the content keys of its inputs, so a change
-- upstream gives every node below it a new key.
create table node_output_cache (
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text not null references graphs(id) on delete cascade,
  node_id text not null,
  content_key text not null,
  items jsonb not null,
  item_count integer not null,
  -- size of the items as JSON text, in bytes; the per-workspace cap sums it
  bytes bigint not null,
  created_at timestamptz(3) not null default now(),
  last_used_at timestamptz(3) not null default now(),
  primary key (workspace_id, graph_id, node_id, content_key)
);
-- Least recently used first, the order of eviction.
create index node_output_cache_lru_idx on node_output_cache (workspace_id, last_used_at, graph_id, node_id, content_key);

-- Saved inputs to start a graph with.
create table graph_run_templates (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text not null references graphs(id) on delete cascade,
  name text not null,
  -- items handed to the trigger nodes: [{ json, binary? }]
  input jsonb not null,
  created_by text,
  created_at timestamptz(3) not null default now(),
  unique (graph_id, name)
);
create index graph_run_templates_workspace_idx on graph_run_templates (workspace_id, graph_id, created_at);

-- The run later runs of a graph are compared with; at most one per graph.
create table graph_baselines (
  graph_id text primary key references graphs(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  -- no foreign key, like runs.graph_id: the stored outputs outlive the run record
  run_id text not null,
  -- [{ nodeId, nodeName, ports, truncated }]: each node's output at its last succeeded step, in step order
  outputs jsonb not null,
  created_by text,
  created_at timestamptz(3) not null default now()
);
create index graph_baselines_workspace_idx on graph_baselines (workspace_id);

-- One comparison of a finished run with the baseline of its graph.
create table graph_run_comparisons (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text not null references graphs(id) on delete cascade,
  run_id text not null,
  baseline_run_id text not null,
  run_status text not null,
  identical boolean not null,
  -- [{ nodeId, nodeName, status: same|changed|missing|added, changedPaths? }]
  nodes jsonb not null,
  created_at timestamptz(3) not null default now(),
  unique (run_id)
);
-- Newest first, the order of the history API and of its cursor.
create index graph_run_comparisons_graph_idx on graph_run_comparisons (workspace_id, graph_id, created_at desc, id desc);
