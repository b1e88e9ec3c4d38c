import { MifyError } from '../../errors.js';

/**
 * A host call the manifest does not allow. The message names the extension, the method
 * and the permission to add, so the extension's author can fix the manifest.
 */
export class PermissionDeniedError extends MifyError {
  constructor(extensionId: string, method: string, permission: string, reason?: string) {
    const why = reason ? ` ${reason}.` : '';
    super(
      'permission_denied',
      403,
      `Extension '${extensionId}' called ${method} without the permission '${permission}'.${why} Add "${permission}" to "permissions" in its mify.extension.json.`,
      { extensionId, method, permission },
    );
    this.name = 'PermissionDeniedError';
  }
}

/** Returns whether `permissions` lists `permission` exactly. */
export function hasPermission(permissions: readonly string[], permission: string): boolean {
  return permissions.includes(permission);
}
