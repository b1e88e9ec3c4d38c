import { describe, expect, it } from 'vitest';
import { applyCompletion, completeExpression, fieldsAt, openExpression, type CompletionContext } from './expressions';

const context: CompletionContext = {
  inputItems: [{ json: { price: 21, customer: { name: 'Ada', 'first name': 'A' }, tags: ['x'] } }, { json: { price: 3, discount: 0.1 } }],
  nodes: [
    { name: 'Fetch orders', items: [{ json: { id: 7, total: 9 } }] },
    { name: 'Parse', items: [] },
  ],
  variables: { region: 'eu', limit: 5 },
};

function labels(text: string, caret = text.length): string[] {
  return completeExpression(text, caret, context)?.options.map((option) => option.label) ?? [];
}

describe('openExpression', () => {
  it('finds the unclosed expression before the caret', () => {
    expect(openExpression('Hi {{ $json.a', 13)).toBe(' $json.a');
    expect(openExpression('{{ $json.a }} and', 17)).toBeNull();
    expect(openExpression('no braces', 9)).toBeNull();
    expect(openExpression('\\{{ $json', 9)).toBeNull();
  });
});

describe('completeExpression', () => {
  it('offers input fields after $json.', () => {
    expect(labels('{{ $json.')).toEqual(['price', 'customer', 'tags', 'discount']);
  });

  it('filters fields by the typed prefix', () => {
    const result = completeExpression('{{ $json.pr', 11, context)!;
    expect(result.options.map((option) => option.label)).toEqual(['price']);
    expect(result.from).toBe(9);
    expect(result.options[0]!.detail).toBe('number');
  });

  it('offers nested fields', () => {
    expect(labels('{{ $json.customer.')).toEqual(['name', 'first name']);
  });

  it('uses brackets for keys that are not identifiers', () => {
    const result = completeExpression('{{ $json.customer.f', 19, context)!;
    expect(result.options[0]!.insert).toBe('["first name"]');
  });

  it('offers node names after $node["', () => {
    const result = completeExpression('{{ $node["F', 11, context)!;
    expect(result.options.map((option) => option.insert)).toEqual(['Fetch orders"]']);
  });

  it('offers output fields of a named node', () => {
    expect(labels('{{ $node["Fetch orders"].json.')).toEqual(['id', 'total']);
    expect(labels("{{ $('Fetch orders').json.t")).toEqual(['total']);
  });

  it('offers variables and run fields', () => {
    expect(labels('{{ $vars.')).toEqual(['region', 'limit']);
    expect(labels('{{ $run.s')).toEqual(['startedAt']);
  });

  it('offers sandbox variables after $', () => {
    expect(labels('{{ $n')).toEqual(['$node', '$now']);
    expect(labels('{{ 1 + $')).toContain('$today');
  });

  it('offers nothing outside braces', () => {
    expect(completeExpression('$json.', 6, context)).toBeNull();
    expect(completeExpression('{{ $json.price }} $json.', 24, context)).toBeNull();
  });

  it('offers nothing when no field matches', () => {
    expect(completeExpression('{{ $json.zzz', 12, context)).toBeNull();
  });

  it('completes at the caret, not the end', () => {
    const text = '{{ $json.pr }} tail';
    const result = completeExpression(text, 11, context)!;
    expect(applyCompletion(text, result, result.options[0]!)).toEqual({ text: '{{ $json.price }} tail', caret: 14 });
  });
});

describe('fieldsAt', () => {
  it('skips items without an object at the path', () => {
    expect(fieldsAt([{ json: { a: 1 } }, { json: { a: { b: 2 } } }], ['a'])).toEqual([{ name: 'b', type: 'number' }]);
  });
});
