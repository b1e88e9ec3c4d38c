import type { TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetyExtension, PII_NODE } from './support/harness.js';

interface PiiOutput {
  mode: string;
  count: number;
  types: Record<string, number>;
  findings: Array<{ type: string; field: string; start: number; end: number; confidence: number; value?: string }>;
}

/** The PII detector node, run in the isolate sandbox. */
describe('PII detector node', () => {
  let harness: TestHarness;

  beforeAll(async () => {
    harness = await loadSafetyExtension();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function run(json: Record<string, unknown>, parameters: Record<string, unknown> = {}) {
    const out = await harness.runNode(PII_NODE, { items: [{ json }], parameters });
    return out.main![0]!.json;
  }

  it('detect mode reports type, span and confidence', async () => {
    const text = 'Mail jane.doe@example.com or call +44 20 7946 0958.';

    const json = await run({ text });
    const pii = json.pii as PiiOutput;

    expect(json.text).toBe(text);
    expect(pii.count).toBe(2);
    expect(pii.types).toEqual({ email: 1, phone: 1 });
    expect(pii.findings[0]).toMatchObject({ type: 'email', field: 'text', start: 5, end: 25 });
    expect(pii.findings[1]).toMatchObject({ type: 'phone', field: 'text', start: 34, end: 50 });
    expect(pii.findings[0]!.confidence).toBeGreaterThanOrEqual(0.9);
    expect(pii.findings[0]!.value).toBeUndefined();
  });

  it('includeValues adds the matched text', async () => {
    const pii = (await run({ text: 'IBAN DE35 3704 0044 0532 0130 99' }, { includeValues: true })).pii as PiiOutput;

    expect(pii.findings[0]!.value).toBe('DE35 3704 0044 0532 0130 99');
  });

  it('redact mode replaces findings with labels', async () => {
    const json = await run(
      { text: 'SSN 536-22-7481, card 4539 4569 5971 9846, from 203.0.113.42' },
      { mode: 'redact', includeValues: true },
    );
    const pii = json.pii as PiiOutput;

    expect(json.text).toBe('SSN [US_SSN], card [PAYMENT_CARD], from [IP_ADDRESS]');
    expect(pii.mode).toBe('redact');
    expect(pii.findings.every((finding) => finding.value === undefined)).toBe(true);
  });

  it('mask redaction keeps separators and the last digits', async () => {
    const json = await run({ text: 'Card 4539 4569 5971 9846.' }, { mode: 'redact', redaction: 'mask', keepLast: 4 });

    expect(json.text).toBe('Card **** **** **** 9846.');
  });

  it('mask character is configurable', async () => {
    const json = await run({ text: 'mail a.b@example.io' }, { mode: 'redact', redaction: 'mask', maskCharacter: '#' });

    expect(json.text).toBe('mail #.#@#######.##');
  });

  it('scans every string by default', async () => {
    const json = await run({ id: 7, contact: { email: 'x.y@example.com', notes: ['call (212) 555-0147'] } }, { mode: 'redact' });

    expect(json.id).toBe(7);
    expect(json.contact).toEqual({ email: '[EMAIL]', notes: ['call [PHONE]'] });
    expect((json.pii as PiiOutput).findings.map((finding) => finding.field)).toEqual(['contact.email', 'contact.notes.0']);
  });

  it('scans only the listed fields, with wildcards', async () => {
    const json = await run(
      { subject: 'from a@example.com', messages: [{ content: 'b@example.com' }, { content: 'c@example.com' }] },
      { mode: 'redact', fields: ['messages.*.content'] },
    );

    expect(json.subject).toBe('from a@example.com');
    expect(json.messages).toEqual([{ content: '[EMAIL]' }, { content: '[EMAIL]' }]);
  });

  it('looks only for the listed types', async () => {
    const json = await run({ text: 'a@example.com 203.0.113.42' }, { mode: 'redact', types: ['ip_address'] });

    expect(json.text).toBe('a@example.com [IP_ADDRESS]');
  });

  it('minConfidence admits context-free ids', async () => {
    const text = 'Reference 85120312343';

    const strict = (await run({ text })).pii as PiiOutput;
    const loose = (await run({ text }, { minConfidence: 0.4 })).pii as PiiOutput;

    expect(strict.count).toBe(0);
    expect(loose.findings.map((finding) => finding.type)).toContain('pl_pesel');
  });

  it('rejects a missing field by default', async () => {
    await expect(run({ body: 'a@example.com' }, { fields: ['text'] })).rejects.toThrow(/Item 0 has no field 'text'/);
  });

  it('skips a missing field when asked', async () => {
    const json = await run({ body: 'a@example.com' }, { fields: ['text'], missingField: 'skip' });

    expect((json.pii as PiiOutput).count).toBe(0);
  });

  it('rejects text over maxTextLength', async () => {
    await expect(run({ text: 'x'.repeat(101) }, { maxTextLength: 100 })).rejects.toThrow(/field 'text' contains 101 characters, over the limit of 100/);
  });

  it('scans text at maxTextLength', async () => {
    const text = `${'x '.repeat(40)}a@example.com`.padEnd(100, ' ');

    const json = await run({ text }, { maxTextLength: 100 });

    expect((json.pii as PiiOutput).count).toBe(1);
  });

  it('rejects invalid parameters by name', async () => {
    await expect(run({ text: 'x' }, { mode: 'hide' })).rejects.toThrow(/Parameter 'mode' is invalid: expected one of "detect", "redact", got "hide"/);
    await expect(run({ text: 'x' }, { types: ['email', 'passport'] })).rejects.toThrow(/Parameter 'types\[1\]' is invalid/);
    await expect(run({ text: 'x' }, { maxTextLength: 2_000_000 })).rejects.toThrow(/Parameter 'maxTextLength' is invalid: expected an integer from 1 to 1000000/);
    await expect(run({ text: 'x' }, { maskCharacter: '**' })).rejects.toThrow(/Parameter 'maskCharacter' is invalid/);
    await expect(run({ text: 'x' }, { fields: 'text' })).rejects.toThrow(/Parameter 'fields' is invalid/);
  });

  it('keeps binary attachments and input items', async () => {
    const item = { json: { text: 'a@example.com' }, binary: { file: { mimeType: 'text/plain', data: 'aGk=' } } };

    const out = await harness.runNode(PII_NODE, { items: [item], parameters: { mode: 'redact' } });

    expect(out.main![0]!.binary).toEqual(item.binary);
    expect(out.main![0]!.json.text).toBe('[EMAIL]');
  });
});
