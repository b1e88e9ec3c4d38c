/**
 * Identity helpers that give an extension's code the contract's types without a cast. Each
 * returns its argument unchanged.
 */
import type { RouteContribution } from './manifest.js';
import type { ImporterImplementation } from './importers.js';
import type {
  ExtensionDefinition,
  NodeImplementation,
  ProviderImplementation,
  RouteImplementation,
  TriggerImplementation,
} from './types.js';

/**
 * Declares the implementations of an extension's contributions. The entry module exports
 * the result as default, and the kernel looks each contribution up by the name the manifest
 * gives it.
 *
 * @example
 * export default defineExtension({
 *   nodes: {
 *     'acme.crm-sync.upsert-contact': defineNode({
 *       async execute(ctx, input) {
 *         const saved = [];
 *         for (const item of input.items) {
 *           saved.push({ json: { ...(await ctx.host.collections.put('contacts', { data: item.json as JsonObject })) } });
 *         }
 *         return { items: saved };
 *       },
 *     }),
 *   },
 *   hooks: { activate: (ctx) => ctx.log.info('CRM sync ready') },
 * });
 */
export function defineExtension<const T extends ExtensionDefinition>(definition: T): T {
  return definition;
}

/**
 * Declares a node implementation. `execute` receives the items of the input ports and
 * returns `{ items }` for the first output port, or items keyed by output port name.
 *
 * @example
 * const ifNode = defineNode({
 *   execute(ctx, input) {
 *     const field = String(ctx.node.parameters.field);
 *     return {
 *       true: input.items.filter((item) => Boolean(item.json[field])),
 *       false: input.items.filter((item) => !item.json[field]),
 *     };
 *   },
 * });
 */
export function defineNode<T extends NodeImplementation>(node: T): T {
  return node;
}

/**
 * Declares a route implementation.
 *
 * @example
 * const getContact = defineRoute({
 *   async handle(ctx, request) {
 *     const contact = await ctx.host.collections.get('contacts', request.params.id ?? '');
 *     return contact ? { status: 200, body: contact.data } : { status: 404, body: { title: 'Contact not found' } };
 *   },
 * });
 */
export function defineRoute<T extends RouteImplementation>(route: T): T {
  return route;
}

/**
 * Declares a trigger implementation.
 *
 * @example
 * const newRows = defineTrigger({
 *   async handle(ctx, input) {
 *     if (input.event !== 'poll') return;
 *     const since = typeof input.state === 'string' ? input.state : '1970-01-01T00:00:00Z';
 *     const rows = await fetchRowsSince(ctx, since);
 *     return { items: rows.map((row) => ({ json: row })), state: new Date().toISOString() };
 *   },
 * });
 */
export function defineTrigger<T extends TriggerImplementation>(trigger: T): T {
  return trigger;
}

/**
 * Declares an importer implementation.
 *
 * @example
 * const n8nImporter = defineImporter({
 *   import(ctx, input) {
 *     const workflow = JSON.parse(input.content);
 *     return { graphs: [convertWorkflow(workflow)], warnings: [] };
 *   },
 * });
 */
export function defineImporter<T extends ImporterImplementation>(importer: T): T {
  return importer;
}

/**
 * Declares a provider implementation.
 *
 * @example
 * const acmeLlm = defineProvider({
 *   async call(ctx, input) {
 *     if (input.operation !== 'chat') throw new ExtensionError('unsupported_operation', `acme only supports chat, not ${input.operation}.`);
 *     return sendChat(ctx, input.request);
 *   },
 * });
 */
export function defineProvider<T extends ProviderImplementation>(provider: T): T {
  return provider;
}

/**
 * Returns the name a route implementation is keyed by in `defineExtension({ routes })`:
 * the manifest's `handler` when set, otherwise the method and path.
 *
 * @example
 * routeName({ method: 'GET', path: 'items/:id' }); // 'GET items/:id'
 * routeName({ method: 'GET', path: 'items/:id', handler: 'getItem' }); // 'getItem'
 */
export function routeName(route: Pick<RouteContribution, 'method' | 'path'> & { handler?: string | undefined }): string {
  return route.handler ?? `${route.method} ${route.path}`;
}
