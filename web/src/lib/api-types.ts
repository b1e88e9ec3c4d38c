// Shapes of the kernel's /api resources as the studio receives them. Dates
// arrive as ISO 8601 strings because they pass through JSON.

export type Role = 'owner' | 'editor' | 'viewer';

/** Roles from least to most rights; a role may do everything the roles before it may. */
export const ROLES: readonly Role[] = ['viewer', 'editor', 'owner'];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
}

/** A workspace together with the signed-in user's role in it. */
export interface Membership extends Workspace {
  role: Role;
}

/** The signed-in user and their workspaces (`GET /api/auth/me`, `POST /api/auth/login`). */
export interface Me {
  user: User;
  workspaces: Membership[];
}

export interface SetupInput {
  email: string;
  password: string;
  name?: string;
  /** Name of the first workspace. */
  workspace: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** An API key as listed: never the key itself, only its first characters. */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The response to creating a key: the only time the full key is sent. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** A credential as listed: the names of its secret fields, never their values. */
export interface Credential {
  id: string;
  name: string;
  type: string;
  /** `global` credentials are shared by every workspace and are read-only here. */
  scope: 'workspace' | 'global';
  fields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CredentialInput {
  name: string;
  type: string;
  data: Record<string, string>;
}

export interface HealthCheck {
  status: 'ok' | 'error';
  backend: string;
  latencyMs?: number;
  error?: string;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  checks: Record<string, HealthCheck>;
}

export interface ItemList<T> {
  items: T[];
}
