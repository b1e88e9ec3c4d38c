-- Trace entries a node records while it runs (an agent's thoughts, tool calls and
-- observations), kept with the step attempt that recorded them. They are written by
-- the runs.trace host method while the step runs, so a row may arrive before the
-- step's own row in run_steps: step_id therefore has no foreign key, and the rows
-- go with their run.
create table run_step_traces (
  run_id text not null references runs(id) on delete cascade,
  step_id text not null,
  -- order of the entry within its step, from 1
  seq integer not null,
  entry jsonb not null,
  created_at timestamptz(3) not null default now(),
  primary key (step_id, seq)
);
create index run_step_traces_run_idx on run_step_traces (run_id);
