/**
 * Errors of the agent nodes. Each carries a stable code, so a graph's on-error setting and
 * API callers can tell a limit from a bad parameter or a failed model call.
 */
import { ExtensionError } from '@mify/sdk';

/** A node parameter with a missing or wrong value; the message names it and the fix. */
export function invalidParameter(message: string): ExtensionError {
  return new ExtensionError('invalid_parameter', message);
}

/** Which limit stopped an agent. */
export type AgentLimit = 'max_steps' | 'token_budget' | 'max_rounds' | 'max_handoffs';

/** Stable error codes of the limits, as a failed step reports them. */
export const LIMIT_CODES: Record<AgentLimit, string> = {
  max_steps: 'max_steps_exceeded',
  token_budget: 'token_budget_exceeded',
  max_rounds: 'max_rounds_exceeded',
  max_handoffs: 'max_handoffs_exceeded',
};

/**
 * Thrown inside an agent when a limit is reached. The node turns it into a failed step
 * (`onLimit: error`) or into a partial answer (`onLimit: partial`).
 */
export class LimitReached extends Error {
  constructor(
    readonly limit: AgentLimit,
    message: string,
  ) {
    super(message);
    this.name = 'LimitReached';
  }
}

/** A model reply that does not have the structure the agent asked for, after the retry. */
export function invalidModelOutput(message: string): ExtensionError {
  return new ExtensionError('invalid_model_output', message);
}
