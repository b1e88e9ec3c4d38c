import type { Item } from '../../graphs/model.js';
import { MifyError } from '../../errors.js';
import type { ExpressionEvaluator, ExpressionScope, ItemParameters } from '../types.js';
import { StepError } from './errors.js';

/** The parts of an ExpressionScope that are the same for every item of one step. */
export type StepScope = Omit<ExpressionScope, 'json' | 'inputItems' | 'itemIndex'>;

export interface ResolvedParameters {
  /** Resolved for the first item (an empty item when there is none), or the raw parameters without expressions. */
  parameters: Record<string, unknown>;
  /** Resolved for each item, in item order; only when the parameters hold expressions. */
  itemParameters?: Array<Record<string, unknown>>;
}

/**
 * Resolves a node's parameters for each of its input items. Without an evaluator, or when
 * no parameter contains an expression, the raw parameters are returned unchanged.
 *
 * @throws StepError (`expression_failed`, not retried) with the evaluator's message, which names the node and parameter.
 */
export async function resolveParameters(
  evaluator: ExpressionEvaluator | null,
  hasExpressions: boolean,
  parameters: Record<string, unknown>,
  items: Item[],
  scope: StepScope,
  nodeName: string,
): Promise<ResolvedParameters> {
  if (evaluator === null || !hasExpressions) return { parameters };

  const scopes: ExpressionScope[] =
    items.length === 0 ? [{ ...scope, json: {}, inputItems: items, itemIndex: 0 }] : items.map((item, index) => ({ ...scope, json: item.json, inputItems: items, itemIndex: index }));

  let results: ItemParameters[];
  try {
    results = await evaluator.resolveParametersForItems(parameters, scopes, { nodeName });
  } catch (error) {
    throw expressionFailure(error, nodeName);
  }

  const itemParameters: Array<Record<string, unknown>> = new Array(items.length);
  for (let index = 0; index < results.length; index++) {
    const result = results[index]!;
    // The first item whose expressions fail fails the whole step, so all items share one outcome.
    if (!result.ok) throw expressionFailure(result.error, nodeName);
    if (index < items.length) itemParameters[index] = result.parameters;
  }
  return { parameters: results[0]!.ok ? results[0]!.parameters : parameters, itemParameters };
}

function expressionFailure(error: unknown, nodeName: string): StepError {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof MifyError ? error.code : 'expression_failed';
  return new StepError(code, message.includes(nodeName) ? message : `node '${nodeName}': ${message}`, { retryable: false, cause: error });
}
