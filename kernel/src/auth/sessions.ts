import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import type { SessionUser } from './identity.js';
import { hashToken, newId, newSessionToken } from './tokens.js';

/** Browser sessions. The token lives only in the client's httpOnly cookie; the database keeps its hash. */
export class SessionService {
  constructor(private readonly deps: { db: Database; logger: Logger; sessionTtlHours: number }) {}

  /** Creates a session and returns the token to put in the cookie. */
  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.deps.sessionTtlHours * 3_600_000);
    await this.deps.db.prisma.session.create({ data: { id: newId('ses'), tokenHash: hashToken(token), userId, expiresAt } });
    return { token, expiresAt };
  }

  /** Returns the signed-in user for a cookie token, or null when unknown or expired. */
  async resolve(token: string): Promise<SessionUser | null> {
    const session = await this.deps.db.prisma.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!session) return null;
    if (session.expiresAt.getTime() <= Date.now()) {
      await this.deps.db.prisma.session.deleteMany({ where: { id: session.id } });
      return null;
    }
    return { sessionId: session.id, userId: session.userId, email: session.user.email, name: session.user.name };
  }

  async revoke(token: string): Promise<void> {
    await this.deps.db.prisma.session.deleteMany({ where: { tokenHash: hashToken(token) } });
  }
}
