-- Extension host: installed extensions, and the storage extensions reach
-- through the host API (documents, key-value, vectors). Extensions never get
-- tables of their own.

create table installed_extensions (
  id text primary key,
  version text not null,
  enabled boolean not null default true,
  -- bundled (extensions/ of the repository), folder, package or registry
  source text not null,
  -- folder holding the unpacked extension
  location text not null,
  manifest jsonb not null,
  -- { version, location, manifest } of the version before the last upgrade, for rollback
  previous jsonb,
  installed_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);

-- workspace_id '' marks data of the extension itself rather than of one workspace.
create table extension_documents (
  extension_id text not null,
  workspace_id text not null default '',
  collection text not null,
  id text not null,
  data jsonb not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  primary key (extension_id, workspace_id, collection, id)
);
create index extension_documents_data_idx on extension_documents using gin (data jsonb_path_ops);

create table extension_kv (
  extension_id text not null,
  workspace_id text not null default '',
  key text not null,
  value jsonb not null,
  expires_at timestamptz(3),
  updated_at timestamptz(3) not null default now(),
  primary key (extension_id, workspace_id, key)
);

create table vector_collections (
  id text primary key,
  extension_id text not null,
  workspace_id text not null default '',
  name text not null,
  dimensions integer not null check (dimensions between 1 and 16000),
  metric text not null check (metric in ('cosine', 'l2', 'inner_product')),
  created_at timestamptz(3) not null default now(),
  unique (extension_id, workspace_id, name)
);

-- The item table needs pgvector; without it vector features report that it is missing.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'vector') then
    execute $sql$
      create table vector_items (
        collection_id text not null references vector_collections(id) on delete cascade,
        id text not null,
        embedding vector not null,
        content text,
        metadata jsonb not null default '{}'::jsonb,
        created_at timestamptz(3) not null default now(),
        primary key (collection_id, id)
      )
    $sql$;
  end if;
end
$$;

-- Instance administrators manage extensions, which are shared by every workspace.
-- The owner created by first-run setup is the first administrator.
alter table users add column is_admin boolean not null default false;
update users set is_admin = true where id = (select id from users order by created_at limit 1);
