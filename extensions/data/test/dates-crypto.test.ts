import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

type Json = Record<string, unknown>;
const items = (...values: Json[]) => values.map((json) => ({ json }));

let harness: TestHarness;

async function run(type: string, input: Json[], parameters: Json): Promise<Json[]> {
  const out = await harness.runNode(`mify.data.${type}`, { items: items(...input), parameters });
  return (out.main ?? []).map((item) => item.json);
}

async function one(type: string, json: Json, parameters: Json, field: string): Promise<unknown> {
  return (await run(type, [json], parameters))[0]![field];
}

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('date-time', () => {
  it('parses ISO, naive local time, epochs and patterns', async () => {
    expect(await one('date-time', { d: '2024-03-10T12:00:00+02:00' }, { operation: 'parse', field: 'd' }, 'd')).toBe('2024-03-10T10:00:00.000Z');
    expect(await one('date-time', { d: '2024-07-01 09:30' }, { operation: 'parse', field: 'd', timezone: 'America/New_York' }, 'd')).toBe('2024-07-01T13:30:00.000Z');
    expect(await one('date-time', { d: 1700000000 }, { operation: 'parse', field: 'd', inputFormat: 'epochSeconds' }, 'd')).toBe('2023-11-14T22:13:20.000Z');
    expect(await one('date-time', { d: '24.12.2023 6:05 pm' }, { operation: 'parse', field: 'd', inputFormat: 'dd.MM.yyyy h:mm a', timezone: 'Europe/Berlin' }, 'd')).toBe('2023-12-24T17:05:00.000Z');
  });

  it('formats with patterns, styles and zones', async () => {
    const d = '2024-02-29T23:30:00Z';
    expect(await one('date-time', { d }, { operation: 'format', field: 'd', format: "EEEE d MMMM yyyy 'at' HH:mm XXX", timezone: 'Asia/Tokyo' }, 'd')).toBe('Friday 1 March 2024 at 08:30 +09:00');
    expect(await one('date-time', { d }, { operation: 'format', field: 'd', format: 'EEEE d MMMM', locale: 'de', timezone: 'UTC' }, 'd')).toBe('Donnerstag 29 Februar');
    expect(await one('date-time', { d }, { operation: 'format', field: 'd', timezone: 'America/Los_Angeles' }, 'd')).toBe('2024-02-29T15:30:00.000-08:00');
    expect(await one('date-time', { d }, { operation: 'format', field: 'd', format: 'epochMs' }, 'd')).toBe(Date.parse(d));
    expect(await one('date-time', { d }, { operation: 'format', field: 'd', format: 'short', locale: 'en-US', timezone: 'UTC' }, 'd')).toBe(new Intl.DateTimeFormat('en-US', { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(d)));
  });

  it('adds calendar units across DST and month ends', async () => {
    expect(await one('date-time', { d: '2024-03-30T12:00:00+01:00' }, { operation: 'add', field: 'd', amount: 1, unit: 'days', timezone: 'Europe/Berlin' }, 'd')).toBe('2024-03-31T12:00:00.000+02:00');
    expect(await one('date-time', { d: '2024-03-30T12:00:00+01:00' }, { operation: 'add', field: 'd', amount: 24, unit: 'hours', timezone: 'Europe/Berlin' }, 'd')).toBe('2024-03-31T13:00:00.000+02:00');
    expect(await one('date-time', { d: '2024-01-31T10:00:00Z' }, { operation: 'add', field: 'd', amount: 1, unit: 'months' }, 'd')).toBe('2024-02-29T10:00:00.000Z');
    expect(await one('date-time', { d: '2024-02-29T10:00:00Z' }, { operation: 'subtract', field: 'd', amount: 1, unit: 'years' }, 'd')).toBe('2023-02-28T10:00:00.000Z');
  });

  it('computes differences', async () => {
    const json = { start: '2024-01-31T00:00:00Z', end: '2024-03-30T12:00:00Z' };
    expect(await one('date-time', json, { operation: 'difference', field: 'start', otherField: 'end', unit: 'days', outputField: 'days' }, 'days')).toBe(59.5);
    expect(await one('date-time', json, { operation: 'difference', field: 'start', otherField: 'end', unit: 'months', outputField: 'months' }, 'months')).toBe(1);
    expect(await one('date-time', json, { operation: 'difference', field: 'end', otherField: 'start', unit: 'months', outputField: 'months' }, 'months')).toBe(-1);
  });

  it('converts between time zones', async () => {
    expect(await one('date-time', { d: '2024-05-01T10:00:00Z' }, { operation: 'convertTimezone', field: 'd', targetTimezone: 'Asia/Kolkata' }, 'd')).toBe('2024-05-01T15:30:00.000+05:30');
  });

  it('rejects bad input and parameters', async () => {
    await expect(run('date-time', [{ d: 'soon' }], { operation: 'parse', field: 'd' })).rejects.toThrow(/item 0 has "soon" in field "d", which is not a date/);
    await expect(run('date-time', [{ d: '2024-01-01' }], { operation: 'parse', field: 'd', timezone: 'Mars/Olympus' })).rejects.toThrow(/parameter "timezone" is "Mars\/Olympus", which is not a time zone\. Use an IANA name/);
    await expect(run('date-time', [{ d: '2024-01-01' }], { operation: 'add', field: 'd', amount: 1.5, unit: 'months' })).rejects.toThrow(/parameter "amount" is 1\.5, but months are added in whole steps/);
    await expect(run('date-time', [{ d: 'May 2024' }], { operation: 'parse', field: 'd', inputFormat: 'MMM yyyy' })).rejects.toThrow(/parameter "inputFormat" is "MMM yyyy": the token MMM can be formatted but not parsed/);
  });
});

describe('crypto', () => {
  const texts = ['', 'abc', 'grüße 😀', 'a'.repeat(55), 'a'.repeat(64), 'b'.repeat(111), 'c'.repeat(112), 'x'.repeat(1000)];

  it('hashes like node:crypto', async () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      const out = await run('crypto', texts.map((text) => ({ text })), { operation: 'hash', field: 'text', algorithm });
      out.forEach((json, index) => expect(json.hash, `${algorithm} of ${texts[index]!.slice(0, 10)}`).toBe(createHash(algorithm).update(texts[index]!, 'utf8').digest('hex')));
    }
  });

  it('computes HMACs like node:crypto, with short, long and hex keys', async () => {
    const longKey = 'k'.repeat(200);
    const hexKey = randomBytes(20).toString('hex');
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      expect(await one('crypto', { m: 'message' }, { operation: 'hmac', field: 'm', algorithm, key: 'key' }, 'hmac')).toBe(createHmac(algorithm, 'key').update('message').digest('hex'));
      expect(await one('crypto', { m: 'message' }, { operation: 'hmac', field: 'm', algorithm, key: longKey }, 'hmac')).toBe(createHmac(algorithm, longKey).update('message').digest('hex'));
      expect(await one('crypto', { m: 'message' }, { operation: 'hmac', field: 'm', algorithm, key: hexKey, keyEncoding: 'hex', outputEncoding: 'base64' }, 'hmac')).toBe(createHmac(algorithm, Buffer.from(hexKey, 'hex')).update('message').digest('base64'));
    }
  });

  it('encodes and decodes base64, base64url and hex', async () => {
    const text = 'grüße?>';
    expect(await one('crypto', { t: text }, { operation: 'encode', field: 't' }, 't')).toBe(Buffer.from(text).toString('base64'));
    expect(await one('crypto', { t: text }, { operation: 'encode', field: 't', outputEncoding: 'base64url' }, 't')).toBe(Buffer.from(text).toString('base64url'));
    expect(await one('crypto', { t: text }, { operation: 'encode', field: 't', outputEncoding: 'hex' }, 't')).toBe(Buffer.from(text).toString('hex'));
    expect(await one('crypto', { t: Buffer.from(text).toString('base64') }, { operation: 'decode', field: 't' }, 't')).toBe(text);
    expect(await one('crypto', { t: Buffer.from(text).toString('hex') }, { operation: 'decode', field: 't', inputEncoding: 'hex' }, 't')).toBe(text);
    const bytes = randomBytes(33);
    expect(await one('crypto', { t: bytes.toString('base64') }, { operation: 'encode', field: 't', inputEncoding: 'base64', outputEncoding: 'hex' }, 't')).toBe(bytes.toString('hex'));
  });

  it('rejects invalid encoded input', async () => {
    await expect(run('crypto', [{ t: 'zz!' }], { operation: 'decode', field: 't', inputEncoding: 'hex' })).rejects.toThrow(/item 0 has "zz!" in field "t", which is not valid hex/);
  });
});

describe('uuid', () => {
  it('writes version 4 UUIDs', async () => {
    const out = await run('uuid', [{}, {}, {}], {});
    const ids = out.map((json) => json.id as string);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
  });
});
