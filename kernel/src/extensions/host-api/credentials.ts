import { z } from 'zod';
import { MifyError } from '../../errors.js';
import type { CredentialReader } from '../../vault/vault.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

async function getCredential(scope: HostCallScope, reference: string) {
  const { context } = scope;
  if (context.workspaceId === null) {
    throw new MifyError(
      'workspace_required',
      409,
      `Extension '${context.extensionId}' called credentials.get outside a workspace. Credentials belong to workspaces, so read them while running a node or route of a workspace.`,
      { extensionId: context.extensionId },
    );
  }

  const reader: CredentialReader = {
    kind: context.nodeId === undefined ? 'extension' : 'node',
    id: context.extensionId,
    ...(context.runId === undefined ? {} : { runId: context.runId }),
    ...(context.nodeId === undefined ? {} : { nodeId: context.nodeId }),
  };
  // The vault writes its own audit row for every read, naming the credential and the reader.
  return scope.services.vault.resolve(context.workspaceId, reference, reader);
}

/**
 * `credentials.get(reference)`: decrypts a credential of the caller's workspace, found by id
 * or name, with the global credentials as fallback. The secret goes to the sandbox only,
 * never into logs or audit rows.
 */
export const credentialMethods: HostMethod[] = [
  defineHostMethod({
    name: 'credentials.get',
    permission: 'credentials:read',
    parameters: { reference: z.string().min(1).max(200) },
    target: ({ reference }) => reference,
    run: ({ reference }, scope) => getCredential(scope, reference),
  }),
];
