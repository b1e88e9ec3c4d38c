import type { ContributionRegistry } from '../extensions/contributions.js';
import type { NodeTypeInfo, NodeTypeResolver } from '../runtime/types.js';

type Control = NodeTypeInfo['control'];

const CONTROLS: ReadonlySet<string> = new Set(['merge', 'loop', 'subworkflow', 'trigger', 'wait']);

/**
 * Key under which a node type may declare its `control` inside its parameter
 * JSON Schema, for manifests whose schema does not yet accept a top-level
 * `control` field on node contributions.
 */
export const CONTROL_SCHEMA_KEY = 'x-mify-control';

/**
 * Resolves node types from the node contributions of the enabled extensions.
 * Every call reads the current contributions, so installing, disabling or
 * upgrading an extension is seen at once. `snapshot()` freezes one reading
 * for a batch of look-ups, such as validating a whole graph.
 */
export class ContributionNodeTypeResolver implements NodeTypeResolver {
  /** Table of the last node listing; the registry returns the same listing until extensions change. */
  private last: { nodes: unknown[]; table: NodeTypeTable } | null = null;

  constructor(private readonly contributions: Pick<ContributionRegistry, 'list'>) {}

  resolve(type: string, typeVersion: number): NodeTypeInfo | null {
    return this.snapshot().resolve(type, typeVersion);
  }

  versions(type: string): number[] {
    return this.snapshot().versions(type);
  }

  /** Returns a resolver over the node types contributed right now. */
  snapshot(): NodeTypeResolver {
    const nodes = this.contributions.list().nodes;
    if (this.last?.nodes !== nodes) this.last = { nodes, table: new NodeTypeTable(nodes.map(toNodeTypeInfo)) };
    return this.last.table;
  }
}

/** A fixed set of node types; also handy for tests that need no extensions. */
export class NodeTypeTable implements NodeTypeResolver {
  private readonly byType = new Map<string, Map<number, NodeTypeInfo>>();

  constructor(types: Iterable<NodeTypeInfo>) {
    for (const info of types) {
      const versions = this.byType.get(info.type) ?? new Map<number, NodeTypeInfo>();
      // Two extensions cannot both be active with one type id (types start with the
      // extension id), so a later duplicate only comes from a repeated manifest entry.
      if (!versions.has(info.typeVersion)) versions.set(info.typeVersion, info);
      this.byType.set(info.type, versions);
    }
  }

  resolve(type: string, typeVersion: number): NodeTypeInfo | null {
    return this.byType.get(type)?.get(typeVersion) ?? null;
  }

  versions(type: string): number[] {
    return [...(this.byType.get(type)?.keys() ?? [])].sort((a, b) => a - b);
  }
}

/**
 * Converts a node contribution from a manifest into the executor's view of it.
 * Ports given as `{ name }` objects become plain names; `control` comes from
 * the contribution's `control` field, else from `x-mify-control` in its
 * parameter schema, else null.
 */
export function toNodeTypeInfo(contribution: Record<string, unknown> & { type: string; typeVersion: number; extensionId: string }): NodeTypeInfo {
  const parameters = isObject(contribution.parameters) ? contribution.parameters : { type: 'object', properties: {} };
  const executionClass = contribution.executionClass;

  return {
    type: contribution.type,
    typeVersion: contribution.typeVersion,
    extensionId: contribution.extensionId,
    inputs: portNames(contribution.inputs),
    outputs: portNames(contribution.outputs),
    executionClass: executionClass === 'deterministic' || executionClass === 'probabilistic' ? executionClass : 'opaque',
    control: readControl(contribution.control) ?? readControl(parameters[CONTROL_SCHEMA_KEY]),
    parameters,
  };
}

/** Normalises a port list; a missing list means the single port `main`, as in the manifest. */
function portNames(ports: unknown): string[] {
  if (!Array.isArray(ports)) return ['main'];

  const names: string[] = [];
  for (const port of ports) {
    if (typeof port === 'string') names.push(port);
    else if (isObject(port) && typeof port.name === 'string') names.push(port.name);
  }
  return names;
}

function readControl(value: unknown): Control {
  return typeof value === 'string' && CONTROLS.has(value) ? (value as Control) : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
