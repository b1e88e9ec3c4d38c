-- What a schedule does with due times missed while no kernel process polled it:
-- latest fires once for all of them, skip fires none, all fires each (within a day).
alter table schedules add column catch_up text not null default 'latest' check (catch_up in ('latest', 'skip', 'all'));
