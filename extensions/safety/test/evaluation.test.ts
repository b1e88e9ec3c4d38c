import type { Item } from '@mify/sdk';
import type { TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectionHoldout, jailbreakHoldout } from './eval/holdout-sets.js';
import { injectionSet } from './eval/injection-set.js';
import { jailbreakSet } from './eval/jailbreak-set.js';
import { describeMetrics, metricsOf, type Metrics } from './eval/metrics.js';
import { piiSet } from './eval/pii-set.js';
import type { LabelledText } from './eval/types.js';
import { INJECTION_NODE, JAILBREAK_NODE, loadSafetyExtension, PII_NODE } from './support/harness.js';

/**
 * Precision and recall of each detector on its labelled sets, measured through the real
 * isolate sandbox. The floors sit just under the values measured when the rules were
 * frozen, so a change that makes a detector worse fails here. The README lists the values.
 */
describe('safety detectors on labelled sets', () => {
  let harness: TestHarness;

  beforeAll(async () => {
    harness = await loadSafetyExtension();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function classify(node: string, set: LabelledText[]): Promise<Metrics> {
    const items: Item[] = set.map((example, index) => ({ json: { text: example.text, caseIndex: index } }));
    const out = await harness.runNode(node, { items });

    const flaggedIndexes = new Set((out.flagged ?? []).map((item) => item.json.caseIndex as number));
    expect((out.flagged ?? []).length + (out.safe ?? []).length).toBe(set.length);

    const confusion = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
    set.forEach((example, index) => {
      const isFlagged = flaggedIndexes.has(index);
      if (isFlagged && example.flagged) confusion.truePositives++;
      else if (isFlagged) confusion.falsePositives++;
      else if (example.flagged) confusion.falseNegatives++;
      else confusion.trueNegatives++;
    });
    return metricsOf(confusion);
  }

  it('sets are balanced and large enough', () => {
    for (const set of [injectionSet, jailbreakSet]) {
      const positives = set.filter((example) => example.flagged).length;
      expect(set.length).toBeGreaterThanOrEqual(150);
      expect(Math.abs(positives - (set.length - positives))).toBeLessThanOrEqual(10);
    }
  });

  it('prompt injection on the development set', async () => {
    const metrics = await classify(INJECTION_NODE, injectionSet);
    console.info(`prompt injection, development set of ${injectionSet.length}: ${describeMetrics(metrics)}`);

    expect(metrics.precision).toBeGreaterThanOrEqual(0.97);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('prompt injection on the held-out set', async () => {
    const metrics = await classify(INJECTION_NODE, injectionHoldout);
    console.info(`prompt injection, held-out set of ${injectionHoldout.length}: ${describeMetrics(metrics)}`);

    // Low recall on unseen phrasings is the measured limit of the heuristics, see the README.
    expect(metrics.precision).toBeGreaterThanOrEqual(0.95);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.15);
  });

  it('jailbreak on the development set', async () => {
    const metrics = await classify(JAILBREAK_NODE, jailbreakSet);
    console.info(`jailbreak, development set of ${jailbreakSet.length}: ${describeMetrics(metrics)}`);

    expect(metrics.precision).toBeGreaterThanOrEqual(0.97);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('jailbreak on the held-out set', async () => {
    const metrics = await classify(JAILBREAK_NODE, jailbreakHoldout);
    console.info(`jailbreak, held-out set of ${jailbreakHoldout.length}: ${describeMetrics(metrics)}`);

    expect(metrics.precision).toBeGreaterThanOrEqual(0.95);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.3);
  });

  it('PII findings on the look-alike set', async () => {
    const items: Item[] = piiSet.map((example) => ({ json: { text: example.text } }));
    const out = await harness.runNode(PII_NODE, { items, parameters: { fields: ['text'], includeValues: true } });

    const confusion = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
    const misses: string[] = [];
    out.main!.forEach((item, index) => {
      const example = piiSet[index]!;
      const findings = (item.json.pii as { findings: Array<{ type: string; value: string }> }).findings.map((finding) => `${finding.type}|${finding.value}`);
      const expected = example.expected.map((entry) => `${entry.type}|${entry.value}`);
      for (const finding of findings) {
        if (expected.includes(finding)) confusion.truePositives++;
        else {
          confusion.falsePositives++;
          misses.push(`unexpected ${finding} in ${JSON.stringify(example.text)}`);
        }
      }
      for (const entry of expected) {
        if (findings.includes(entry)) continue;
        confusion.falseNegatives++;
        misses.push(`missed ${entry} in ${JSON.stringify(example.text)}`);
      }
      if (findings.length === 0 && expected.length === 0) confusion.trueNegatives++;
    });
    const metrics = metricsOf(confusion);
    console.info(`PII, ${piiSet.length} texts: ${describeMetrics(metrics)}${misses.length ? `\n${misses.join('\n')}` : ''}`);

    expect(metrics.precision).toBeGreaterThanOrEqual(0.97);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.97);
  });
});
