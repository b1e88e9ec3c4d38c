import type { AuditLog } from '../audit/audit-log.js';
import { newId } from '../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { scopedClient } from '../storage/scoped.js';
import { open, seal } from './cipher.js';

/** Maximum size of one credential's secret data as JSON, in bytes. */
export const MAX_CREDENTIAL_BYTES = 64 * 1024;

/** A credential as the API shows it: never the secret, only which fields it has. */
export interface CredentialInfo {
  id: string;
  name: string;
  type: string;
  scope: 'workspace' | 'global';
  fields: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Who reads a secret at run time; recorded in the audit log. */
export interface CredentialReader {
  kind: 'node' | 'extension' | 'system';
  id: string;
  runId?: string;
  nodeId?: string;
}

type Row = { id: string; workspaceId: string | null; name: string; type: string; ciphertext: Uint8Array; iv: Uint8Array; authTag: Uint8Array; createdAt: Date; updatedAt: Date };

/**
 * The credentials vault. Secrets are encrypted with AES-256-GCM before they
 * reach the database, and decrypted only by `resolve`, which audits every read.
 */
export class CredentialVault {
  constructor(private readonly deps: { db: Database; logger: Logger; auditLog: AuditLog; key: Buffer }) {}

  async create(workspaceId: string | null, input: { name: string; type: string; data: Record<string, unknown> }): Promise<CredentialInfo> {
    validateInput(input);
    const id = newId('cred');
    const sealed = seal(this.deps.key, JSON.stringify(input.data), associatedData(workspaceId, id));
    const { prisma } = this.deps.db;

    const existing = await prisma.credential.findFirst({ where: { workspaceId, name: input.name } });
    if (existing) throw new ConflictError(`A credential named '${input.name}' already exists here; choose another name or update it.`);

    const row = await prisma.credential.create({
      data: { id, workspaceId, name: input.name, type: input.type, ciphertext: new Uint8Array(sealed.ciphertext), iv: new Uint8Array(sealed.iv), authTag: new Uint8Array(sealed.authTag) },
    });
    this.deps.logger.info({ workspaceId, credentialId: id }, 'credential created');
    return this.describe(row);
  }

  /** Lists the workspace's credentials and the global ones it falls back to. */
  async list(workspaceId: string): Promise<CredentialInfo[]> {
    const rows = await this.deps.db.prisma.credential.findMany({ where: { OR: [{ workspaceId }, { workspaceId: null }] }, orderBy: { name: 'asc' } });
    return rows.map((row) => this.describe(row));
  }

  async get(workspaceId: string, id: string): Promise<CredentialInfo> {
    const row = await scopedClient(this.deps.db.prisma, workspaceId).credential.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('Credential', id);
    return this.describe(row);
  }

  async update(workspaceId: string, id: string, input: { name?: string; data?: Record<string, unknown> }): Promise<CredentialInfo> {
    const db = scopedClient(this.deps.db.prisma, workspaceId);
    const row = await db.credential.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('Credential', id);
    if (input.name !== undefined || input.data !== undefined) validateInput({ name: input.name ?? row.name, type: row.type, data: input.data ?? {} });

    const data: Record<string, unknown> = { updatedAt: new Date() };
    if (input.name !== undefined) data.name = input.name;
    if (input.data !== undefined) {
      const sealed = seal(this.deps.key, JSON.stringify(input.data), associatedData(workspaceId, id));
      Object.assign(data, { ciphertext: new Uint8Array(sealed.ciphertext), iv: new Uint8Array(sealed.iv), authTag: new Uint8Array(sealed.authTag) });
    }
    const updated = await db.credential.update({ where: { id }, data });
    return this.describe(updated);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const { count } = await scopedClient(this.deps.db.prisma, workspaceId).credential.deleteMany({ where: { id } });
    if (count === 0) throw new NotFoundError('Credential', id);
  }

  /**
   * Decrypts a credential for a node's execution, looking it up by id or name
   * in the workspace first and among global credentials second. Every call
   * writes an audit row naming the reader.
   */
  async resolve(workspaceId: string, reference: string, reader: CredentialReader): Promise<{ id: string; type: string; data: Record<string, unknown> }> {
    const { prisma } = this.deps.db;
    const row =
      (await prisma.credential.findFirst({ where: { workspaceId, OR: [{ id: reference }, { name: reference }] } })) ??
      (await prisma.credential.findFirst({ where: { workspaceId: null, OR: [{ id: reference }, { name: reference }] } }));
    if (!row) throw new NotFoundError('Credential', reference);

    const data = this.decrypt(row);
    await this.deps.auditLog.record({
      workspaceId,
      actorType: reader.kind === 'system' ? 'system' : reader.kind,
      actorId: reader.id,
      action: 'credential.read',
      target: row.id,
      details: { runId: reader.runId ?? null, nodeId: reader.nodeId ?? null, scope: row.workspaceId ? 'workspace' : 'global' },
    });
    return { id: row.id, type: row.type, data };
  }

  private decrypt(row: Row): Record<string, unknown> {
    try {
      return JSON.parse(open(this.deps.key, { ciphertext: Buffer.from(row.ciphertext), iv: Buffer.from(row.iv), authTag: Buffer.from(row.authTag) }, associatedData(row.workspaceId, row.id)));
    } catch (error) {
      this.deps.logger.error({ credentialId: row.id }, 'credential could not be decrypted');
      throw new MifyError('credential_unreadable', 500, `Credential '${row.name}' cannot be decrypted with the current key. Was MIFY_SECRET_KEY or secret.key changed? Restore the original key or enter the credential again.`, { credentialId: row.id }, { cause: error });
    }
  }

  private describe(row: Row): CredentialInfo {
    let fields: string[] = [];
    try {
      fields = Object.keys(this.decrypt(row)).sort();
    } catch {
      fields = [];
    }
    return { id: row.id, name: row.name, type: row.type, scope: row.workspaceId ? 'workspace' : 'global', fields, createdAt: row.createdAt, updatedAt: row.updatedAt };
  }
}

function associatedData(workspaceId: string | null, id: string): string {
  return `${workspaceId ?? 'global'}:${id}`;
}

function validateInput(input: { name: string; type: string; data: Record<string, unknown> }): void {
  const problems: Array<{ path: string; message: string }> = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/.test(input.name)) problems.push({ path: 'name', message: `'${input.name}' must be 1-100 characters of letters, digits, space, dot, dash or underscore` });
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(input.type)) problems.push({ path: 'type', message: `'${input.type}' must be a credential type id such as 'openai' or 'http.bearer'` });
  const size = Buffer.byteLength(JSON.stringify(input.data));
  if (size > MAX_CREDENTIAL_BYTES) problems.push({ path: 'data', message: `is ${size} bytes; the limit is ${MAX_CREDENTIAL_BYTES}` });
  if (problems.length > 0) throw new ValidationError('Invalid credential.', problems);
}
