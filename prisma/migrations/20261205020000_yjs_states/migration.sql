-- Live collaboration: the Yjs document of each graph that someone opened in the studio.
create table yjs_states (
  graph_id text primary key references graphs(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  -- Y.encodeStateAsUpdate of the whole document
  state bytea not null,
  -- the graph's draft_updated_at that the document last matched; a newer draft (saved
  -- outside the live document) is applied to the document when it is next loaded
  draft_updated_at timestamptz(3) not null,
  updated_at timestamptz(3) not null default now()
);
create index yjs_states_workspace_idx on yjs_states (workspace_id);
