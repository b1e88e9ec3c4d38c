import type { Principal, SessionUser } from '../auth/identity.js';
import type { Logger } from '../logger.js';

/** Values the middleware stores on each Hono context. */
export interface RequestVariables {
  requestId: string;
  log: Logger;
  clientIp: string;
  /** The API key's principal, when the request carried a valid key. */
  apiKeyPrincipal: Principal | null;
  sessionUser: SessionUser | null;
  sessionToken: string | null;
}

export type AppEnv = { Variables: RequestVariables };
