import { describe, expect, it } from 'vitest';
import { panelRouteUrl, parsePanelSchema, rowsFromResponse } from './panel-schema';

describe('parsePanelSchema', () => {
  it('reads a form with a submit route', () => {
    const parsed = parsePanelSchema({
      kind: 'form',
      fields: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] },
      submit: { method: 'PUT', route: '/contacts/{graphId}' },
      submitLabel: 'Save contact',
    });

    expect(parsed).toEqual({
      ok: true,
      panel: { kind: 'form', fields: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] }, submit: { method: 'PUT', route: 'contacts/{graphId}' }, submitLabel: 'Save contact' },
    });
  });

  it('defaults form method and label', () => {
    const parsed = parsePanelSchema({ kind: 'form', fields: { type: 'object' }, submit: { route: 'notes' } });

    expect(parsed.ok && parsed.panel.kind === 'form' && parsed.panel.submit.method).toBe('POST');
    expect(parsed.ok && parsed.panel.kind === 'form' && parsed.panel.submitLabel).toBe('Submit');
  });

  it('reads a table from a source route', () => {
    const parsed = parsePanelSchema({ kind: 'table', columns: [{ key: 'name', label: 'Name' }, 'email'], source: { route: 'contacts', itemsPath: 'items' } });

    expect(parsed).toEqual({
      ok: true,
      panel: { kind: 'table', columns: [{ key: 'name', label: 'Name' }, { key: 'email', label: 'email' }], rows: null, source: { method: 'GET', route: 'contacts', itemsPath: 'items' } },
    });
  });

  it('reads a chart with inline rows', () => {
    const parsed = parsePanelSchema({ kind: 'chart', chart: 'line', x: 'day', y: 'runs', rows: [{ day: 'Mon', runs: 3 }] });

    expect(parsed).toEqual({ ok: true, panel: { kind: 'chart', chart: 'line', x: 'day', y: 'runs', rows: [{ day: 'Mon', runs: 3 }], source: null } });
  });

  it.each([
    [{ kind: 'diagram' }, "'kind' must be form, table, chart or markdown; got \"diagram\""],
    [{ kind: 'markdown' }, "'content' must be a non-empty string"],
    [{ kind: 'form', fields: { type: 'string' }, submit: { route: 'x' } }, `'fields' must be a JSON Schema with "type": "object"`],
    [{ kind: 'form', fields: { type: 'object' } }, "'submit' must be an object"],
    [{ kind: 'form', fields: { type: 'object' }, submit: { route: 'x', method: 'DELETE' } }, "'submit.method' must be one of POST, PUT, PATCH"],
    [{ kind: 'table', columns: [] , rows: [] }, "'columns' must be a non-empty array"],
    [{ kind: 'table', columns: ['a'] }, "give 'rows'"],
    [{ kind: 'table', columns: ['a'], rows: [1, 2] }, "'rows' must be an array of objects"],
    [{ kind: 'table', columns: ['a'], source: { route: 'https://evil.example/x' } }, 'must stay inside the extension'],
    [{ kind: 'table', columns: ['a'], source: { route: '../../graphs' } }, 'must stay inside the extension'],
    [{ kind: 'chart', chart: 'pie', x: 'a', y: 'b', rows: [] }, "'chart' must be bar or line"],
    [{ kind: 'chart', x: 'a', rows: [] }, "'y' must be a non-empty string"],
    ['markdown', 'the schema must be an object'],
  ])('rejects %j', (schema, message) => {
    const parsed = parsePanelSchema(schema);

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});

describe('panelRouteUrl', () => {
  it('fills in context values', () => {
    expect(panelRouteUrl('acme.crm', 'graphs/{graphId}/stats', { workspaceId: 'ws_1', graphId: 'g 1' })).toBe('/api/ext/acme.crm/graphs/g%201/stats');
  });

  it('names a missing context value', () => {
    expect(() => panelRouteUrl('acme.crm', 'graphs/{graphId}', { workspaceId: 'ws_1' })).toThrow(/needs \{graphId\}/);
  });
});

describe('rowsFromResponse', () => {
  it('follows a dotted path', () => {
    expect(rowsFromResponse({ data: { items: [{ a: 1 }] } }, 'data.items')).toEqual([{ a: 1 }]);
  });

  it('takes a bare array', () => {
    expect(rowsFromResponse([{ a: 1 }], undefined)).toEqual([{ a: 1 }]);
  });

  it('names the path when no array is there', () => {
    expect(() => rowsFromResponse({ items: 3 }, 'items')).toThrow(/no array at 'items'/);
  });
});
