-- Indexes that no query needs, dropped because every insert of a run or step, and every
-- status change, had to update them.
--
-- runs_status_idx (status): every query that filters runs by status can use
-- runs_claim_idx (status, backend, depth, wake_at, lease_until), whose first column is
-- the status.
-- run_steps_status_idx (status): steps are looked up by run, through the unique index on
-- (run_id, seq), and status filters on steps always name the run.
drop index if exists runs_status_idx;
drop index if exists run_steps_status_idx;
