import type { Membership } from './api-types';

/** localStorage key of the workspace the studio acts in, stored as the workspace id. */
export const WORKSPACE_STORAGE_KEY = 'mify.workspace';

/**
 * Picks the workspace to act in: the stored one while the user is still a
 * member of it, else their first workspace, else none.
 */
export function pickWorkspace(memberships: readonly Membership[], storedId: string | null): Membership | null {
  const stored = storedId ? memberships.find((membership) => membership.id === storedId) : undefined;
  return stored ?? memberships[0] ?? null;
}

export function readStoredWorkspace(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): string | null {
  try {
    return storage?.getItem(WORKSPACE_STORAGE_KEY) ?? null;
  } catch {
    // Storage is unavailable (private mode, blocked cookies): fall back to the first workspace.
    return null;
  }
}

export function storeWorkspace(id: string, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(WORKSPACE_STORAGE_KEY, id);
  } catch {
    // Without storage the choice lasts until the page reloads.
  }
}
