import { ROLES, type Role } from './api-types';

/**
 * What a role may do, as the kernel enforces it: viewers read, editors also
 * write (credentials), owners also manage members and API keys. The studio
 * uses it only to hide controls; the API checks every call.
 */
export type Access = 'read' | 'write' | 'manage';

const REQUIRED_ROLE: Record<Access, Role> = { read: 'viewer', write: 'editor', manage: 'owner' };

export function roleAllows(role: Role, access: Access): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(REQUIRED_ROLE[access]);
}

/** Returns the roles a caller with `role` may hand out, because a key or member may not get more rights than the caller has. */
export function grantableRoles(role: Role): Role[] {
  return ROLES.slice(0, ROLES.indexOf(role) + 1).reverse();
}
