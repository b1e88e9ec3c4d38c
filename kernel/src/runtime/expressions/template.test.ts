import { describe, expect, it } from 'vitest';

import { containsTemplate, TemplateParser } from './parameters.js';
import { isTemplate, MAX_EXPRESSION_CHARS, parseTemplate } from './template.js';

describe('parseTemplate', () => {
  it('returns null for a literal', () => {
    expect(parseTemplate('plain text')).toBeNull();
    expect(parseTemplate('a } b }} c')).toBeNull();
    expect(parseTemplate('')).toBeNull();
  });

  it('treats one expression with whitespace around it as single', () => {
    expect(parseTemplate('{{ $json.id }}')).toEqual({ kind: 'single', expression: { source: ' $json.id ', offset: 0 } });
    expect(parseTemplate('  {{$json.id}}\n')).toEqual({ kind: 'single', expression: { source: '$json.id', offset: 2 } });
  });

  it('drops the leading = of the n8n form', () => {
    expect(parseTemplate('={{ $json.id }}')).toEqual({ kind: 'single', expression: { source: ' $json.id ', offset: 1 } });
    expect(parseTemplate('=Hello {{ $json.name }}')).toEqual({ kind: 'mixed', parts: ['Hello ', { source: ' $json.name ', offset: 7 }] });
  });

  it('resolves an = string without braces to its text', () => {
    expect(parseTemplate('=Hello')).toEqual({ kind: 'text', text: 'Hello' });
    expect(parseTemplate('==SUM(A1)')).toEqual({ kind: 'text', text: '=SUM(A1)' });
    expect(parseTemplate('=')).toEqual({ kind: 'text', text: '' });
  });

  it('splits mixed text and expressions', () => {
    expect(parseTemplate('a{{ 1 }}b{{ 2 }}')).toEqual({
      kind: 'mixed',
      parts: ['a', { source: ' 1 ', offset: 1 }, 'b', { source: ' 2 ', offset: 9 }],
    });
    expect(parseTemplate('{{ 1 }}{{ 2 }}')).toEqual({ kind: 'mixed', parts: [{ source: ' 1 ', offset: 0 }, { source: ' 2 ', offset: 7 }] });
  });

  it('turns \\{{ into a literal {{', () => {
    expect(parseTemplate('\\{{ not an expression }}')).toEqual({ kind: 'text', text: '{{ not an expression }}' });
    expect(parseTemplate('a \\{{ b {{ 1 }}')).toEqual({ kind: 'mixed', parts: ['a {{ b ', { source: ' 1 ', offset: 8 }] });
  });

  it('keeps braces of object literals inside an expression', () => {
    expect(parseTemplate('{{ { a: { b: 1 }} }}')).toEqual({ kind: 'single', expression: { source: ' { a: { b: 1 }} ', offset: 0 } });
  });

  it('skips }} inside strings, template literals and comments', () => {
    const cases = ['{{ "}}" }}', "{{ '}}' }}", '{{ `}}${ {a:1}.a }` }}', '{{ 1 /* }} */ }}', '{{ "a\\"}}" }}'];
    for (const text of cases) {
      const parsed = parseTemplate(text);
      expect(parsed?.kind, text).toBe('single');
    }
  });

  it('ends a line comment at }}', () => {
    expect(parseTemplate('{{ $json.a // the id }}')).toEqual({ kind: 'single', expression: { source: ' $json.a // the id ', offset: 0 } });
  });

  it('skips }} inside a regular expression literal', () => {
    expect(parseTemplate('{{ "a}}b".replace(/}}/g, "") }}')?.kind).toBe('single');
    expect(parseTemplate('{{ 6 / 2 }} / {{ 1 }}')?.kind).toBe('mixed');
  });

  it('reports an unclosed {{ with its position', () => {
    const parsed = parseTemplate('abc {{ $json.id');
    expect(parsed).toEqual({ kind: 'invalid', message: expect.stringContaining('position 4') });
    expect(parseTemplate('{{ "}} }}')?.kind).toBe('invalid');
  });

  it('reports an empty expression', () => {
    expect(parseTemplate('x {{  }}')).toEqual({ kind: 'invalid', message: expect.stringContaining('is empty') });
  });

  it('rejects an expression over the length limit', () => {
    const parsed = parseTemplate(`{{ ${'1+'.repeat(MAX_EXPRESSION_CHARS / 2)}1 }}`);
    expect(parsed).toEqual({ kind: 'invalid', message: expect.stringContaining('more than the limit') });
  });
});

describe('isTemplate', () => {
  it('detects = prefixes and {{', () => {
    expect(isTemplate('=x')).toBe(true);
    expect(isTemplate('a {{ b')).toBe(true);
    expect(isTemplate('a \\{{ b')).toBe(true);
    expect(isTemplate('a = b')).toBe(false);
    expect(isTemplate('{ {')).toBe(false);
  });
});

describe('containsTemplate', () => {
  it('finds templates in nested values but not in keys', () => {
    expect(containsTemplate({ a: [1, { b: 'x {{ 1 }}' }] })).toBe(true);
    expect(containsTemplate({ '{{ key }}': 'value', n: 1, t: true, z: null })).toBe(false);
    expect(containsTemplate(['=x'])).toBe(true);
  });
});

describe('TemplateParser.findSites', () => {
  it('labels paths as users write them', () => {
    const parser = new TemplateParser(10);
    const sites = parser.findSites({
      url: '{{ 1 }}',
      headers: { Authorization: '{{ 2 }}', 'Content-Type': '{{ 3 }}' },
      items: [0, 1, { value: '{{ 4 }}' }],
      plain: 'text',
    });
    expect(sites.map((site) => site.label)).toEqual(['url', 'headers.Authorization', 'headers["Content-Type"]', 'items[2].value']);
    expect(sites.map((site) => site.path)).toEqual([['url'], ['headers', 'Authorization'], ['headers', 'Content-Type'], ['items', 2, 'value']]);
  });
});
