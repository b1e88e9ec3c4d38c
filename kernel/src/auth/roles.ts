import { ForbiddenError } from '../errors.js';

export const ROLES = ['viewer', 'editor', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** What a role may do: viewers read, editors also write, owners also manage members and API keys. */
export type Access = 'read' | 'write' | 'manage';

const REQUIRED_ROLE: Record<Access, Role> = { read: 'viewer', write: 'editor', manage: 'owner' };

export function roleAllows(role: Role, access: Access): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(REQUIRED_ROLE[access]);
}

export function assertRole(role: Role, access: Access, action: string): void {
  if (!roleAllows(role, access)) {
    throw new ForbiddenError(`Your role '${role}' cannot ${action}; it needs the '${REQUIRED_ROLE[access]}' role or higher. Ask a workspace owner to change your role.`);
  }
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
