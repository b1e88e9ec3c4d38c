import { ConflictError, UnauthorizedError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import type { Role } from './roles.js';
import { newId } from './tokens.js';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

export interface WorkspaceRecord {
  id: string;
  slug: string;
  name: string;
}

export function validateCredentialsInput(email: string, password: string): void {
  const problems: Array<{ path: string; message: string }> = [];
  if (!EMAIL_PATTERN.test(email)) problems.push({ path: 'email', message: `'${email}' is not an email address` });
  if (password.length < MIN_PASSWORD_LENGTH) problems.push({ path: 'password', message: `must have at least ${MIN_PASSWORD_LENGTH} characters` });
  if (password.length > MAX_PASSWORD_LENGTH) problems.push({ path: 'password', message: `must have at most ${MAX_PASSWORD_LENGTH} characters` });
  if (problems.length > 0) throw new ValidationError('Invalid email or password.', problems);
}

/** Turns a workspace name into a URL-safe slug: lower case, a-z 0-9 and dashes. */
export function slugify(name: string): string {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return slug || 'workspace';
}

/** How long a looked-up workspace stays in this process's memory, in milliseconds. Workspaces are never renamed or deleted through the API yet. */
const WORKSPACE_CACHE_TTL_MS = 30_000;

/** Users, first-run setup, sign-in checks and workspace membership. */
export class UserService {
  private readonly workspaceCache = new Map<string, { workspace: WorkspaceRecord; expiresAtMs: number }>();

  constructor(private readonly deps: { db: Database; logger: Logger }) {}

  async needsSetup(): Promise<boolean> {
    return (await this.deps.db.prisma.user.count()) === 0;
  }

  /**
   * Creates the first user as owner of a new workspace. Fails with 409 once any
   * user exists, so a second call cannot take over an installation.
   */
  async setup(input: { email: string; password: string; name?: string; workspace: string }): Promise<{ user: UserRecord; workspace: WorkspaceRecord }> {
    validateCredentialsInput(input.email, input.password);
    if (!input.workspace.trim()) throw new ValidationError('Invalid workspace name.', [{ path: 'workspace', message: 'must not be empty' }]);

    const passwordHash = await hashPassword(input.password);
    const { prisma } = this.deps.db;
    const result = await prisma.$transaction(async (tx) => {
      if ((await tx.user.count()) > 0) throw new ConflictError('Setup is already complete: an owner exists. Sign in instead, or ask an owner to invite you.');
      const user = await tx.user.create({ data: { id: newId('usr'), email: input.email.toLowerCase(), name: input.name?.trim() || input.email.split('@')[0]!, passwordHash, isAdmin: true } });
      const workspace = await tx.workspace.create({ data: { id: newId('ws'), slug: slugify(input.workspace), name: input.workspace.trim() } });
      await tx.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role: 'owner' } });
      return { user, workspace };
    });

    this.deps.logger.info({ userId: result.user.id, workspaceId: result.workspace.id }, 'first-run setup complete');
    return { user: toUser(result.user), workspace: toWorkspace(result.workspace) };
  }

  async createUser(input: { email: string; password: string; name?: string }): Promise<UserRecord> {
    validateCredentialsInput(input.email, input.password);
    const email = input.email.toLowerCase();
    const { prisma } = this.deps.db;
    if (await prisma.user.findUnique({ where: { email } })) throw new ConflictError(`A user with email '${email}' already exists.`);

    const user = await prisma.user.create({ data: { id: newId('usr'), email, name: input.name?.trim() || email.split('@')[0]!, passwordHash: await hashPassword(input.password) } });
    this.deps.logger.info({ userId: user.id }, 'user created');
    return toUser(user);
  }

  /** Checks email and password; the same error for an unknown email and a wrong password. */
  async authenticate(email: string, password: string): Promise<UserRecord> {
    const user = await this.deps.db.prisma.user.findUnique({ where: { email: email.toLowerCase() } });
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, DUMMY_HASH);
    if (!user || !ok) throw new UnauthorizedError('Invalid email or password.');
    return toUser(user);
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const user = await this.deps.db.prisma.user.findUnique({ where: { email: email.toLowerCase() } });
    return user ? toUser(user) : null;
  }

  async createWorkspace(input: { name: string; slug?: string; ownerId: string }): Promise<WorkspaceRecord> {
    const name = input.name.trim();
    if (!name) throw new ValidationError('Invalid workspace name.', [{ path: 'name', message: 'must not be empty' }]);
    const slug = input.slug ?? slugify(name);
    if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(slug)) throw new ValidationError('Invalid workspace slug.', [{ path: 'slug', message: `'${slug}' must be 1-48 characters of a-z, 0-9 and dashes, starting with a letter or digit` }]);

    const { prisma } = this.deps.db;
    if (await prisma.workspace.findUnique({ where: { slug } })) throw new ConflictError(`A workspace with slug '${slug}' already exists; choose another slug.`);
    const workspace = await prisma.$transaction(async (tx) => {
      const created = await tx.workspace.create({ data: { id: newId('ws'), slug, name } });
      await tx.membership.create({ data: { workspaceId: created.id, userId: input.ownerId, role: 'owner' } });
      return created;
    });
    this.deps.logger.info({ workspaceId: workspace.id, userId: input.ownerId }, 'workspace created');
    return toWorkspace(workspace);
  }

  /** Returns the workspace with this id or slug from this process's cache, or undefined when `findWorkspace` must ask the database. */
  cachedWorkspace(idOrSlug: string): WorkspaceRecord | undefined {
    const cached = this.workspaceCache.get(idOrSlug);
    return cached && cached.expiresAtMs > Date.now() ? cached.workspace : undefined;
  }

  /** Finds a workspace by id or slug. */
  async findWorkspace(idOrSlug: string): Promise<WorkspaceRecord | null> {
    const cached = this.cachedWorkspace(idOrSlug);
    if (cached) return cached;

    const now = Date.now();
    const row = await this.deps.db.prisma.workspace.findFirst({ where: { OR: [{ id: idOrSlug }, { slug: idOrSlug }] } });
    if (!row) return null;
    const workspace = toWorkspace(row);
    this.workspaceCache.set(idOrSlug, { workspace, expiresAtMs: now + WORKSPACE_CACHE_TTL_MS });
    return workspace;
  }

  async listMemberships(userId: string): Promise<Array<WorkspaceRecord & { role: Role }>> {
    const rows = await this.deps.db.prisma.membership.findMany({ where: { userId }, include: { workspace: true }, orderBy: { createdAt: 'asc' } });
    return rows.map((row) => ({ ...toWorkspace(row.workspace), role: row.role as Role }));
  }

  async isAdmin(userId: string): Promise<boolean> {
    return (await this.deps.db.prisma.user.findUnique({ where: { id: userId }, select: { isAdmin: true } }))?.isAdmin ?? false;
  }

  async roleIn(userId: string, workspaceId: string): Promise<Role | null> {
    const row = await this.deps.db.prisma.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } } });
    return (row?.role as Role | undefined) ?? null;
  }
}

// Verified against when the email is unknown, so both failures take the same time.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function toUser(row: { id: string; email: string; name: string; createdAt: Date }): UserRecord {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.createdAt };
}

function toWorkspace(row: { id: string; slug: string; name: string }): WorkspaceRecord {
  return { id: row.id, slug: row.slug, name: row.name };
}
