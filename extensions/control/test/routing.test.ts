import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

const items = (...values: Array<Record<string, unknown>>) => values.map((json) => ({ json }));
const names = (list: Array<{ json: Record<string, unknown> }> | undefined) => (list ?? []).map((item) => item.json.name);

let harness: TestHarness;

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('route-if', () => {
  const people = items(
    { name: 'ada', age: 36, email: 'ada@example.com', joined: '2020-01-05', admin: true, tags: ['x'] },
    { name: 'bob', age: '17', email: 'BOB@EXAMPLE.ORG', joined: '2023-07-01T10:00:00Z', admin: false, tags: [] },
    { name: 'cy', email: null, joined: 1700000000000, tags: ['x', 'y'] },
  );

  async function route(conditions: unknown[], extra: Record<string, unknown> = {}) {
    const out = await harness.runNode('mify.control.route-if', { items: people, parameters: { conditions, ...extra } });
    return { true: names(out.true), false: names(out.false) };
  }

  it('compares numbers, including numeric strings', async () => {
    expect(await route([{ field: 'age', type: 'number', operator: 'gte', value: 18 }])).toEqual({ true: ['ada'], false: ['bob', 'cy'] });
    expect(await route([{ field: 'age', type: 'number', operator: 'between', value: 10, value2: 20 }])).toEqual({ true: ['bob'], false: ['ada', 'cy'] });
  });

  it('compares strings with and without case', async () => {
    expect(await route([{ field: 'email', operator: 'endsWith', value: '.org' }])).toEqual({ true: [], false: ['ada', 'bob', 'cy'] });
    expect(await route([{ field: 'email', operator: 'endsWith', value: '.org', caseSensitive: false }])).toEqual({ true: ['bob'], false: ['ada', 'cy'] });
    expect(await route([{ field: 'email', operator: 'notContains', value: 'ada' }])).toEqual({ true: ['bob', 'cy'], false: ['ada'] });
  });

  it('matches regular expressions', async () => {
    expect(await route([{ field: 'email', operator: 'matchesRegex', value: '^[a-z]+@example\\.com$' }])).toEqual({ true: ['ada'], false: ['bob', 'cy'] });
    expect(await route([{ field: 'email', operator: 'matchesRegex', value: '/^bob@/i' }])).toEqual({ true: ['bob'], false: ['ada', 'cy'] });
  });

  it('compares booleans and dates', async () => {
    expect(await route([{ field: 'admin', type: 'boolean', operator: 'isTrue' }])).toEqual({ true: ['ada'], false: ['bob', 'cy'] });
    expect(await route([{ field: 'joined', type: 'date', operator: 'after', value: '2021-01-01' }])).toEqual({ true: ['bob', 'cy'], false: ['ada'] });
  });

  it('tests existence, emptiness and arrays', async () => {
    expect(await route([{ field: 'age', type: 'any', operator: 'exists' }])).toEqual({ true: ['ada', 'bob'], false: ['cy'] });
    expect(await route([{ field: 'email', type: 'any', operator: 'isEmpty' }])).toEqual({ true: ['cy'], false: ['ada', 'bob'] });
    expect(await route([{ field: 'tags', type: 'array', operator: 'contains', value: 'y' }])).toEqual({ true: ['cy'], false: ['ada', 'bob'] });
    expect(await route([{ field: 'tags', type: 'array', operator: 'lengthGt', value: 0 }])).toEqual({ true: ['ada', 'cy'], false: ['bob'] });
  });

  it('combines conditions with and and or', async () => {
    const conditions = [
      { field: 'admin', type: 'boolean', operator: 'isTrue' },
      { field: 'tags', type: 'array', operator: 'lengthEquals', value: 2 },
    ];
    expect(await route(conditions)).toEqual({ true: [], false: ['ada', 'bob', 'cy'] });
    expect(await route(conditions, { combinator: 'or' })).toEqual({ true: ['ada', 'cy'], false: ['bob'] });
  });

  it('tests a left value instead of a field', async () => {
    expect(await route([{ leftValue: 5, type: 'number', operator: 'gt', value: 3 }])).toEqual({ true: ['ada', 'bob', 'cy'], false: [] });
  });

  it('fails on a value of the wrong type, naming the item', async () => {
    await expect(route([{ field: 'email', type: 'number', operator: 'gt', value: 1 }])).rejects.toThrow(/item 0 has "ada@example.com" in field "email", which is not a number.*looseTypes/);
  });

  it('treats unconvertible values as false with looseTypes', async () => {
    expect(await route([{ field: 'email', type: 'number', operator: 'gt', value: 1 }], { looseTypes: true })).toEqual({ true: [], false: ['ada', 'bob', 'cy'] });
  });

  it('rejects bad parameters with the fix', async () => {
    await expect(route([{ field: 'age', type: 'number', operator: 'startsWith', value: 1 }])).rejects.toThrow(/parameter "conditions\[0\]\.operator" is "startsWith"\. Use one of "equals", "notEquals", "gt"/);
    await expect(route([{ field: 'age', type: 'number', operator: 'gt' }])).rejects.toThrow(/parameter "conditions\[0\]\.value" is missing\. The operator "gt" compares with "value"; set it/);
    await expect(route([{ field: 'email', operator: 'matchesRegex', value: '([a-z' }])).rejects.toThrow(/parameter "conditions\[0\]\.value" is not a valid regular expression/);
    await expect(route([{ field: 'a..b', operator: 'equals', value: 1 }])).rejects.toThrow(/parameter "conditions\[0\]\.field" is "a\.\.b", which is not a field path/);
    await expect(route([])).rejects.toThrow(/parameter "conditions" has 0 entries, fewer than 1/);
  });
});

describe('route-switch', () => {
  const tickets = items({ name: 't1', team: 'billing', priority: 1 }, { name: 't2', team: 'support', priority: 5 }, { name: 't3', team: 'sales', priority: 9 }, { name: 't4', team: 2 });

  async function route(parameters: Record<string, unknown>) {
    const out = await harness.runNode('mify.control.route-switch', { items: tickets, parameters });
    return Object.fromEntries(Object.entries(out).filter(([, list]) => list.length > 0).map(([port, list]) => [port, names(list)]));
  }

  it('routes by the first matching rule with a fallback', async () => {
    const rules = [
      { conditions: [{ field: 'priority', type: 'number', operator: 'gte', value: 5 }], output: 'urgent' },
      { conditions: [{ field: 'team', operator: 'equals', value: 'billing' }], output: 0 },
    ];
    expect(await route({ rules, outputNames: ['normal', 'urgent'] })).toEqual({ output0: ['t1'], output1: ['t2', 't3'], fallback: ['t4'] });
  });

  it('sends to every matching rule when asked', async () => {
    const rules = [
      { conditions: [{ field: 'priority', type: 'number', operator: 'gte', value: 5 }] },
      { conditions: [{ field: 'team', operator: 'startsWith', value: 's' }] },
    ];
    expect(await route({ rules, sendToAllMatching: true, fallback: 'discard' })).toEqual({ output0: ['t2', 't3'], output1: ['t2', 't3'] });
  });

  it('routes by a value to named and numbered outputs', async () => {
    const outputNames = ['billing', 'support'];
    expect(await harness.runNode('mify.control.route-switch', { items: tickets, parameters: { mode: 'value', value: 'Support', outputNames, caseSensitive: false } }).then((out) => names(out.output1))).toEqual(['t1', 't2', 't3', 't4']);
    expect(await route({ mode: 'value', value: 3 })).toEqual({ output3: ['t1', 't2', 't3', 't4'] });
    expect(await route({ mode: 'value', value: 'nowhere', outputNames })).toEqual({ fallback: ['t1', 't2', 't3', 't4'] });
  });

  it('fails on an unmatched item when fallback is error', async () => {
    await expect(route({ mode: 'value', value: 'nowhere', fallback: 'error' })).rejects.toThrow(/item 0 has the value "nowhere", which names no output/);
  });

  it('rejects an output that names nothing', async () => {
    await expect(route({ rules: [{ conditions: [{ field: 'team', operator: 'isEmpty' }], output: 'vip' }], outputNames: ['a'] })).rejects.toThrow(/parameter "rules\[0\]\.output" is "vip", which names no output\. Use a number from 0 to 7 or one of "a"/);
    await expect(route({ rules: [{ conditions: [{ field: 'team', operator: 'isEmpty' }], output: 8 }] })).rejects.toThrow(/"rules\[0\]\.output" is 8/);
    await expect(route({ mode: 'rules' })).rejects.toThrow(/parameter "rules" is missing/);
  });
});
