-- Tables of the extension registry. They live beside the kernel's tables when the
-- registry is mounted in the kernel, so every name starts with registry_.

create table registry_tokens (
  id text primary key,
  publisher text not null,
  -- SHA-256 of the token, hex; the token itself is shown once and never stored.
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table registry_packages (
  id text primary key,
  -- Publisher that published the first version; only it may publish or yank versions.
  owner text not null,
  name text not null,
  description text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table registry_versions (
  package_id text not null references registry_packages (id) on delete cascade,
  version text not null,
  engines_mify text not null,
  manifest jsonb not null,
  -- Path of the signed tarball, relative to the file store.
  tarball_path text not null,
  size_bytes integer not null,
  -- Subresource Integrity of the tarball: sha512-<base64>.
  integrity text not null,
  signer_fingerprint text,
  yanked boolean not null default false,
  yank_reason text,
  published_by text not null,
  published_at timestamptz not null default now(),
  primary key (package_id, version)
);

create index registry_packages_search on registry_packages (lower(name));
