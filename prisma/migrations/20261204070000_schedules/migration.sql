-- Schedules that start runs of a stored graph at an interval or by a cron
-- expression. Every kernel process polls for due rows and claims them with
-- row locks (SKIP LOCKED), so each due time starts one run.

create table schedules (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text not null references graphs(id) on delete cascade,
  name text not null,
  kind text not null check (kind in ('interval', 'cron')),
  -- time between fires of an interval schedule; at least one second
  interval_ms bigint check (interval_ms >= 1000),
  -- five-field cron expression and the IANA time zone it is read in
  cron text,
  timezone text,
  -- items the started runs receive, [{ "json": { … } }, …]
  input jsonb not null default '[{"json": {}}]'::jsonb,
  -- definition to run: the published (live) version or the draft
  version text not null default 'live' check (version in ('live', 'draft')),
  enabled boolean not null default true,
  -- next due time; null while the schedule is disabled
  next_fire_at timestamptz(3),
  last_fired_at timestamptz(3),
  last_run_id text,
  -- { code, message, at } of the last fire that could not start a run; null after a fire that did
  last_error jsonb,
  -- user or API key whose runs the schedule starts
  created_by text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  unique (graph_id, name),
  check ((kind = 'interval' and interval_ms is not null and cron is null and timezone is null)
      or (kind = 'cron' and cron is not null and timezone is not null and interval_ms is null))
);
create index schedules_due_idx on schedules (next_fire_at) where enabled;
create index schedules_workspace_idx on schedules (workspace_id, created_at);
create index schedules_graph_idx on schedules (graph_id, created_at);
