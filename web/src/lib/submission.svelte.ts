import { toProblem, type Problem } from './api';

/**
 * State of one form's submission: whether it is in flight, and the problem
 * of the last failed attempt. Forms disable their submit button while
 * `pending`, so a double click sends one request.
 */
export class Submission {
  pending = $state(false);
  problem = $state<Problem | null>(null);

  /** Runs `action`, recording its failure as `problem`; resolves `true` when it succeeded. */
  async run(action: () => Promise<unknown>): Promise<boolean> {
    if (this.pending) return false;
    this.pending = true;
    this.problem = null;
    try {
      await action();
      return true;
    } catch (error) {
      this.problem = toProblem(error);
      return false;
    } finally {
      this.pending = false;
    }
  }

  reset(): void {
    this.problem = null;
  }
}
