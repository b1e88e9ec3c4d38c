import { definitionHash } from '../../graphs/canonical.js';
import type { Item } from '../../graphs/model.js';
import type { ExecutionPlan, PlannedNode } from '../executor/plan.js';
import { nodeDefinition } from './dirty.js';

/** A node's content key and cacheability, computed before the run. */
export interface NodeKey {
  /**
   * SHA-256 (hex) of the node's id, name and definition, its extension's version and the
   * identities of its inputs. Id and name count because nodes receive both. Null when an
   * input comes from a node that must run and is not deterministic, or when an expression
   * reads something that changes from run to run.
   */
  contentKey: string | null;
  /**
   * Identity of the items the node emits, handed to the nodes below it: the content key of a
   * deterministic or disabled node, the hash of a pinned node's items, else null.
   */
  outputId: string | null;
  /** Whether an output stored under `contentKey` may stand in for running the node. */
  cacheable: boolean;
  /** Reason the node is not cacheable, shown in the response, or null when it is cacheable. */
  reason: string | null;
}

/** Expression names whose value differs between runs of the same graph. */
const VOLATILE_EXPRESSION = /\$now\b|\$today\b|\$run\b|\$execution\b|Math\.random|Date\.now|new\s+Date|\$workflow\b/;
/** Expression names that read the output of another node by name. */
const NODE_REFERENCE = /\$node\b|\$\(|\$items\b/;

export interface ContentKeyInput {
  plan: ExecutionPlan;
  /** Items the start nodes receive. */
  runInput: Item[];
  /** Version of the extension providing a node type, or null when none does. */
  extensionVersion: (type: string, typeVersion: number) => string | null;
}

/**
 * Computes the content key of every node, in topological order, so that each
 * key folds in the keys of the nodes feeding it: a change upstream changes
 * every key below it. The start nodes fold in the hash of the run input.
 * A node that reads other nodes through expressions (`$node["Name"]`) folds
 * in their output identities as well, and `$vars` folds in the graph variables.
 *
 * @example
 * const keys = computeContentKeys({ plan, runInput: [{ json: {} }], extensionVersion: () => '1.0.0' });
 * keys.get('fetch')?.contentKey; // 'a3f1…'
 */
export function computeContentKeys(input: ContentKeyInput): Map<string, NodeKey> {
  const { plan } = input;
  const keys = new Map<string, NodeKey>();
  const byName = new Map(plan.nodes.map((planned) => [planned.node.name, planned]));
  const runInputId = definitionHash(input.runInput);

  for (const planned of plan.nodes) {
    const node = planned.node;

    if (planned.pinned !== null) {
      keys.set(node.id, { contentKey: null, outputId: definitionHash({ pinned: planned.pinned }), cacheable: false, reason: 'pinned' });
      continue;
    }

    const inputs: unknown[] = [];
    let known = true;
    for (const edge of planned.incoming) {
      const source = keys.get(edge.from.node.id)?.outputId ?? null;
      if (source === null) known = false;
      inputs.push([edge.index, edge.fromPort, edge.toPort, source]);
    }

    const references = expressionReferences(planned, byName, keys, input.plan.graph.settings.variables);
    if (references === null) known = false;

    const contentKey = known
      ? definitionHash({
          id: node.id,
          name: node.name,
          definition: nodeDefinition(node),
          extensionVersion: input.extensionVersion(node.type, node.typeVersion),
          inputs,
          start: planned.isStart ? runInputId : null,
          references,
        })
      : null;

    const reason = notCacheableReason(planned, contentKey);
    const deterministic = node.disabled || planned.type?.executionClass === 'deterministic';
    const inLoop = planned.control === 'loop' || planned.enclosingLoops.length > 0;
    keys.set(node.id, { contentKey, outputId: deterministic && !inLoop ? contentKey : null, cacheable: reason === null, reason });
  }
  return keys;
}

function notCacheableReason(planned: PlannedNode, contentKey: string | null): string | null {
  if (planned.node.disabled) return 'disabled';
  if (planned.type === null) return 'unknown node type';
  if (planned.type.executionClass !== 'deterministic') return `${planned.type.executionClass} node`;
  if (planned.control === 'trigger') return 'trigger node';
  if (planned.control === 'loop' || planned.enclosingLoops.length > 0) return 'loop node or inside a loop';
  if (planned.control === 'subworkflow') return 'sub-workflow node';
  if (contentKey === null) return 'input not known before the run';
  return null;
}

/**
 * Collects what a node's expressions read besides its own input: the output identities of
 * the nodes they name and the graph variables. Returns null when the value cannot be known before the
 * run: a volatile name such as `$now`, a node reference without a recognisable node name, or
 * a named node whose output is not known yet.
 */
function expressionReferences(planned: PlannedNode, byName: Map<string, PlannedNode>, keys: Map<string, NodeKey>, variables: Record<string, unknown>): Record<string, unknown> | null {
  const text = JSON.stringify(planned.node.parameters);
  if (!text.includes('{{')) return {};
  if (VOLATILE_EXPRESSION.test(text)) return null;

  const references: Record<string, unknown> = {};
  if (text.includes('$vars')) references.$vars = variables;
  if (!NODE_REFERENCE.test(text)) return references;

  // NOTE: names are found as substrings of the parameters, so a name inside a plain string
  // also counts. That costs a cache miss, never a wrong reuse.
  let named = false;
  for (const [name, other] of byName) {
    if (other === planned || !text.includes(name)) continue;
    const outputId = keys.get(other.node.id)?.outputId ?? null;
    if (outputId === null) return null;
    references[`node:${other.node.id}`] = outputId;
    named = true;
  }
  return named ? references : null;
}
