-- Kernel events that start graphs through event-trigger nodes and that schedule
-- notifications report, the runs each schedule started, the notification URLs of
-- schedules with their deliveries, and the grants that let an extension's public
-- route start runs of one graph.

-- One row per kernel event (run.finished, run.waiting, schedule.fired, schedule.failed).
-- Every kernel process claims undispatched rows with SKIP LOCKED, so each event is
-- dispatched once.
create table kernel_events (
  -- deterministic per source, such as run.finished:<run id>, so recording twice is a no-op
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  type text not null,
  data jsonb not null,
  created_at timestamptz(3) not null default now(),
  dispatched_at timestamptz(3)
);
create index kernel_events_pending_idx on kernel_events (created_at) where dispatched_at is null;
create index kernel_events_created_idx on kernel_events (created_at);

-- Finished runs and new approval waits are read from these tables by time.
create index run_events_finished_idx on run_events (created_at) where type = 'run.finished';
create index run_waits_created_idx on run_waits (created_at) where kind = 'approval';

-- Runs that event triggers started: one per event and graph.
create table trigger_deliveries (
  event_id text not null,
  graph_id text not null,
  workspace_id text not null references workspaces(id) on delete cascade,
  node_id text not null,
  run_id text,
  -- number of event-triggered runs before this one in the chain; 0 for an event of a run nobody triggered
  depth integer not null default 0,
  error jsonb,
  created_at timestamptz(3) not null default now(),
  primary key (event_id, graph_id)
);
create index trigger_deliveries_run_idx on trigger_deliveries (run_id);

-- Runs that schedules started, with the due time each fired for.
create table schedule_runs (
  run_id text primary key,
  schedule_id text not null,
  workspace_id text not null references workspaces(id) on delete cascade,
  due_at timestamptz(3) not null,
  created_at timestamptz(3) not null default now()
);
create index schedule_runs_schedule_idx on schedule_runs (schedule_id, created_at desc, run_id desc);

-- URLs that receive signed POSTs about a schedule's events.
create table schedule_notifications (
  id text primary key,
  schedule_id text not null references schedules(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  url text not null,
  -- subset of schedule.fired, schedule.failed, schedule.waiting
  events text[] not null,
  -- HMAC-SHA256 signing secret, AES-256-GCM sealed with MIFY_SECRET_KEY
  secret_ciphertext bytea not null,
  secret_iv bytea not null,
  secret_tag bytea not null,
  created_at timestamptz(3) not null default now()
);
create index schedule_notifications_schedule_idx on schedule_notifications (schedule_id);

create table notification_deliveries (
  id text primary key,
  notification_id text not null references schedule_notifications(id) on delete cascade,
  event_id text not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz(3) not null default now(),
  -- status code or error of the last attempt
  last_error text,
  created_at timestamptz(3) not null default now(),
  delivered_at timestamptz(3),
  unique (notification_id, event_id)
);
create index notification_deliveries_due_idx on notification_deliveries (next_attempt_at) where status = 'pending';

-- Grants with which a route of an extension that has no workspace (a public route)
-- starts and reads runs of one graph. A member's call creates the grant in the
-- graph's workspace; only the hash of the token is kept.
create table run_grants (
  token_hash text primary key,
  extension_id text not null,
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text not null,
  created_at timestamptz(3) not null default now()
);
