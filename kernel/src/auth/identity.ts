import type { Role } from './roles.js';

/** Who is calling: a signed-in user or an API key, and in which workspace with which role. */
export interface Principal {
  type: 'user' | 'api_key';
  /** User id for sessions; the creating user (if known) for API keys. */
  userId: string | null;
  apiKeyId: string | null;
  workspaceId: string;
  role: Role;
}

/** A signed-in user before a workspace is chosen. */
export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
  name: string;
}
