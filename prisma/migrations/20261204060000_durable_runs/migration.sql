-- Durable runs: the journal that lets a run resume after a crash, the leases
-- that let several kernel processes share runs, and persisted waits (timers,
-- human approvals, manual resumes).

alter table runs drop constraint runs_status_check;
alter table runs add constraint runs_status_check
  check (status in ('queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'));

-- embedded (journal in this database) or temporal (a Temporal workflow drives the run)
alter table runs add column backend text not null default 'embedded';
-- the graph as it was when the run started, so a resumed run plans the same graph
alter table runs add column graph jsonb;
-- every input item, kept until the run finishes, because `input` may hold a preview only
alter table runs add column input_items jsonb;
-- input items that replace what some activations receive, by step key (a fork)
alter table runs add column step_overrides jsonb;
-- top-level run of a sub-workflow run (itself for a top-level run); waits wake it
alter table runs add column root_run_id text;
-- `<nodeId>:<activation>` of the parent's step that started this sub-workflow run
alter table runs add column parent_step_key text;
-- kernel process that executes the run, and until when its claim holds
alter table runs add column owner text;
alter table runs add column lease_until timestamptz(3);
-- when a waiting run is due to continue (a timer, or now after a decision)
alter table runs add column wake_at timestamptz(3);
alter table runs add column pause_requested boolean not null default false;

create index runs_claim_idx on runs (status, backend, depth, wake_at, lease_until);
create index runs_root_idx on runs (root_run_id);
create unique index runs_parent_step_idx on runs (parent_run_id, parent_step_key) where parent_step_key is not null;

alter table run_steps drop constraint run_steps_status_check;
alter table run_steps add constraint run_steps_status_check
  check (status in ('running', 'succeeded', 'failed', 'skipped', 'cancelled', 'waiting', 'interrupted'));

-- One row per finished node activation: what it produced, so that a resumed
-- run returns it instead of executing the node again.
create table run_journal (
  run_id text not null references runs(id) on delete cascade,
  -- `<nodeId>:<activation>`; `<nodeId>:<activation>:wait` for a wait's request
  step_key text not null,
  -- order of writing, for history and for replay from a step
  seq integer not null,
  result jsonb not null,
  created_at timestamptz(3) not null default now(),
  primary key (run_id, step_key)
);

-- A run waiting for a person or a point in time.
create table run_waits (
  id text primary key,
  run_id text not null references runs(id) on delete cascade,
  root_run_id text not null,
  workspace_id text not null references workspaces(id) on delete cascade,
  graph_id text,
  node_id text not null,
  node_name text not null,
  step_key text not null,
  -- approval: a reviewer decides; timer: resumes at resume_at; resume: resumes by API
  kind text not null check (kind in ('approval', 'timer', 'resume')),
  -- elapsed: a timer passed; expired: an approval or resume wait passed its until time
  status text not null check (status in ('pending', 'approved', 'rejected', 'resumed', 'elapsed', 'expired', 'cancelled')),
  -- what the node asked for: { title, instructions, items, allowEdit, form, onTimeout }
  request jsonb not null,
  resume_at timestamptz(3),
  -- { items } when the reviewer edited the payload
  decision jsonb,
  comment text,
  decided_by text,
  decided_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  unique (run_id, step_key)
);
create index run_waits_workspace_status_idx on run_waits (workspace_id, status, created_at);
create index run_waits_due_idx on run_waits (status, resume_at);
