-- Knowledge bases: named sets of documents of one workspace, chunked and embedded
-- into a vector collection of their own (namespace '@knowledge-bases' in
-- vector_collections, named after the knowledge base id).

create table knowledge_bases (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  description text not null default '',
  -- { provider, model, dimensions }: the embedder every chunk and query of the base uses.
  embedding jsonb not null,
  -- { strategy, chunkSize, chunkOverlap }: the default chunking of ingested documents.
  chunking jsonb not null,
  metric text not null check (metric in ('cosine', 'l2', 'inner_product')),
  collection_id text not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  unique (workspace_id, name)
);

create table knowledge_base_documents (
  knowledge_base_id text not null references knowledge_bases(id) on delete cascade,
  id text not null,
  name text not null,
  media_type text not null,
  -- SHA-256 (hex) of the document bytes, so re-ingesting unchanged content can be skipped.
  content_sha256 text not null,
  size_bytes integer not null,
  chunk_count integer not null,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  primary key (knowledge_base_id, id)
);

-- Full-text search over vector item content for hybrid retrieval: a stored tsvector, so
-- ranking reads it instead of parsing every matching row's content again, and a GIN index
-- on it. Queries name the column, so the configuration ('english') is fixed here.
do $$
begin
  if exists (select 1 from pg_tables where tablename = 'vector_items') then
    execute $sql$
      alter table vector_items add column content_tsv tsvector
        generated always as (to_tsvector('english', coalesce(content, ''))) stored
    $sql$;
    execute $sql$
      create index vector_items_content_tsv on vector_items using gin (content_tsv)
    $sql$;
  end if;
end
$$;
