import type { StepJournal } from '../executor/context.js';
import type { ActivationResult } from '../executor/interpreter.js';
import type { JournalWrite } from '../run-store.js';

/**
 * Step journal of one run, stored in the database. An activation whose step key is in the
 * journal returns its stored result without running. Any other activation runs, and its result
 * is stored before the run moves on. The write also stores the step records that the activation
 * produced, so the history never lags the journal. A failed activation ends the run and is not
 * journaled.
 */
export class DurableJournal implements StepJournal {
  private lastSeq: number;

  constructor(
    private readonly deps: {
      runId: string;
      /**
       * Process that must still own the run for a write to count. Null for sub-workflow runs,
       * because the claim of their top-level run covers them.
       */
      owner: string | null;
      entries: Map<string, ActivationResult>;
      lastSeq: number;
      /** Stores the step records queued so far together with the journal entry. Returns false when another process owns the run. */
      write: (journal: JournalWrite) => Promise<boolean>;
      /** Called when another process has claimed the run, in which case the write was dropped. */
      onOwnershipLost: () => void;
    },
  ) {
    this.lastSeq = deps.lastSeq;
  }

  /** Number of activations that came from the journal instead of running. */
  replayed = 0;

  async activation(stepKey: string, fn: () => Promise<ActivationResult>): Promise<ActivationResult> {
    const known = this.deps.entries.get(stepKey);
    if (known !== undefined) {
      this.replayed += 1;
      return known;
    }

    const result = await fn();
    if (result.kind === 'failed') return result;
    this.lastSeq += 1;
    const stored = await this.deps.write({ runId: this.deps.runId, owner: this.deps.owner, entries: [{ stepKey, seq: this.lastSeq, result }] });
    if (!stored) this.deps.onOwnershipLost();
    this.deps.entries.set(stepKey, result);
    return result;
  }
}
