import { MifyError } from '../../errors.js';
import { searchSchema, type SearchInput } from '../../knowledge/knowledge-base-schemas.js';
import { storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** The kernel service behind `knowledge.search`; the KnowledgeBaseService implements it. */
export interface HostKnowledgeServices {
  search(workspaceId: string, knowledgeBaseId: string, input: SearchInput): Promise<unknown>;
}

function knowledgeServices(scope: HostCallScope): HostKnowledgeServices {
  const services = scope.services.knowledge;
  if (!services) throw new MifyError('not_available', 501, 'knowledge.search is not available in this kernel: no knowledge-base service is configured.');
  return services;
}

/**
 * `knowledge.search(knowledgeBaseId, query)`: searches a knowledge base of the caller's
 * workspace, with the same query fields and limits as `POST /api/knowledge-bases/:id/search`.
 * Needs `knowledge:read`.
 */
export const knowledgeMethods: HostMethod[] = [
  defineHostMethod({
    name: 'knowledge.search',
    permission: 'knowledge:read',
    parameters: { knowledgeBaseId: storableText(200).min(1), query: searchSchema },
    target: ({ knowledgeBaseId }) => knowledgeBaseId,
    run: async ({ knowledgeBaseId, query }, scope) => {
      const workspaceId = scope.context.workspaceId;
      if (!workspaceId) {
        throw new MifyError('workspace_required', 409, `Extension '${scope.context.extensionId}' called knowledge.search outside a workspace. Knowledge bases belong to workspaces, so call it while running a node or route of a workspace.`);
      }
      return knowledgeServices(scope).search(workspaceId, knowledgeBaseId, query);
    },
  }),
];
