import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { defineHostMethod, type HostMethod } from './types.js';

/**
 * Declares a method whose kernel service does not exist yet. It is in the table so that
 * permission checks and auditing run as for any method. Past them it fails with
 * `not_available` (501) and returns no made-up result.
 */
function unavailable(name: string, permission: string, missing: string, parameterNames: string[]): HostMethod {
  return defineHostMethod({
    name,
    permission,
    // The arguments are not parsed further: nothing uses them yet.
    parameters: Object.fromEntries(parameterNames.map((parameter) => [parameter, z.unknown()])),
    run: async (_args, scope) => {
      throw new MifyError(
        'not_available',
        501,
        `${name} is not available yet: ${missing} is not part of this kernel. The call was allowed by the permission '${permission}' but did nothing.`,
        { extensionId: scope.context.extensionId, method: name },
      );
    },
  });
}

// TODO: wire llm.* to the LLM provider gateway (provider contributions, credentials, usage accounting) once it exists.
const LLM_GATEWAY = 'the LLM provider gateway';

/** `llm.*`: permission-checked placeholders for the LLM gateway still to come. */
export const unavailableMethods: HostMethod[] = [
  unavailable('llm.chat', 'llm:invoke', LLM_GATEWAY, ['request']),
  unavailable('llm.embed', 'llm:invoke', LLM_GATEWAY, ['request']),
];
