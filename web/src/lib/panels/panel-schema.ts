// The declarative panel kinds an extension may contribute (`contributes.panels[].schema`).
// The manifest schema fixes only `kind`, so this file reads the keys beside it.
// A panel that does not fit is shown as an error that names the key.
//
//   markdown: { kind, content }                        content is Markdown; HTML in it is shown as text
//   form:     { kind, fields, submit, submitLabel? }   fields is a JSON Schema of an object;
//             submit is { method: POST | PUT | PATCH, route } and receives the values as JSON
//   table:    { kind, columns, rows? , source? }       columns is [{ key, label }]; rows inline,
//             or source { route, itemsPath? } whose response (or its itemsPath field) is the rows
//   chart:    { kind, chart, x, y, rows?, source? }    chart is bar or line; x names the label
//             field and y the number field of each row
//
// A route is a path relative to the extension's routes, `/api/ext/<extension id>/`, and
// may contain `{graphId}` and `{workspaceId}`, replaced by the page's context.

export interface PanelRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  route: string;
  /** Dotted path of the rows in the response, such as `items`; the whole response when absent. */
  itemsPath?: string;
}

export interface TableColumn {
  key: string;
  label: string;
}

export type PanelSchema =
  | { kind: 'markdown'; content: string }
  | { kind: 'form'; fields: Record<string, unknown>; submit: PanelRoute; submitLabel: string }
  | { kind: 'table'; columns: TableColumn[]; rows: Record<string, unknown>[] | null; source: PanelRoute | null }
  | { kind: 'chart'; chart: 'bar' | 'line'; x: string; y: string; rows: Record<string, unknown>[] | null; source: PanelRoute | null };

export type ParsedPanel = { ok: true; panel: PanelSchema } | { ok: false; message: string };

/** Values a panel route may refer to as `{name}`. */
export interface PanelContext {
  workspaceId: string;
  graphId?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class PanelSchemaError extends Error {}

function fail(message: string): never {
  throw new PanelSchemaError(message);
}

function requireString(schema: Record<string, unknown>, key: string, example: string): string {
  const value = schema[key];
  if (typeof value !== 'string' || value.trim() === '') fail(`'${key}' must be a non-empty string, such as ${example}; got ${JSON.stringify(value) ?? 'nothing'}.`);
  return value;
}

function parseRoute(value: unknown, key: string, methods: PanelRoute['method'][], defaultMethod: PanelRoute['method']): PanelRoute {
  if (!isRecord(value)) fail(`'${key}' must be an object such as { "route": "contacts" }; got ${JSON.stringify(value) ?? 'nothing'}.`);
  const route = value.route;
  if (typeof route !== 'string' || route.trim() === '') fail(`'${key}.route' must be a route path relative to the extension, such as contacts; got ${JSON.stringify(route) ?? 'nothing'}.`);
  if (/^[a-z]+:|^\/\/|\.\./i.test(route)) fail(`'${key}.route' must stay inside the extension's routes; '${route}' is an absolute URL or leaves them with '..'.`);
  const method = value.method ?? defaultMethod;
  if (typeof method !== 'string' || !methods.includes(method as PanelRoute['method'])) fail(`'${key}.method' must be one of ${methods.join(', ')}; got ${JSON.stringify(method)}.`);
  const itemsPath = value.itemsPath;
  if (itemsPath !== undefined && typeof itemsPath !== 'string') fail(`'${key}.itemsPath' must be a dotted field path such as items; got ${JSON.stringify(itemsPath)}.`);
  return { method: method as PanelRoute['method'], route: route.replace(/^\//, ''), ...(itemsPath ? { itemsPath } : {}) };
}

function parseRows(value: unknown, key: string): Record<string, unknown>[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || !value.every(isRecord)) fail(`'${key}' must be an array of objects; got ${JSON.stringify(value)?.slice(0, 80)}.`);
  return value as Record<string, unknown>[];
}

function parseDataSource(schema: Record<string, unknown>): { rows: Record<string, unknown>[] | null; source: PanelRoute | null } {
  const rows = parseRows(schema.rows, 'rows');
  const source = schema.source === undefined ? null : parseRoute(schema.source, 'source', ['GET'], 'GET');
  if (!rows && !source) fail(`give 'rows' (an array of objects) or 'source' (a route that returns them).`);
  return { rows, source };
}

function parseColumns(value: unknown): TableColumn[] {
  if (!Array.isArray(value) || value.length === 0) fail(`'columns' must be a non-empty array of { key, label }; got ${JSON.stringify(value) ?? 'nothing'}.`);
  return value.map((column, index) => {
    if (typeof column === 'string') return { key: column, label: column };
    if (!isRecord(column) || typeof column.key !== 'string') fail(`'columns[${index}]' must be { key, label } or a field name; got ${JSON.stringify(column)}.`);
    return { key: column.key, label: typeof column.label === 'string' ? column.label : column.key };
  });
}

/**
 * Reads a panel contribution's schema into one of the four kinds. A schema
 * that does not fit returns a message naming the key and the expected form.
 *
 * @example
 * parsePanelSchema({ kind: 'markdown', content: '# Usage' }); // { ok: true, panel: { kind: 'markdown', content: '# Usage' } }
 */
export function parsePanelSchema(schema: unknown): ParsedPanel {
  try {
    if (!isRecord(schema)) fail(`the schema must be an object with a kind; got ${JSON.stringify(schema) ?? 'nothing'}.`);
    switch (schema.kind) {
      case 'markdown':
        return { ok: true, panel: { kind: 'markdown', content: requireString(schema, 'content', '"# Usage"') } };
      case 'form': {
        const fields = schema.fields;
        if (!isRecord(fields) || fields.type !== 'object') fail(`'fields' must be a JSON Schema with "type": "object"; got ${JSON.stringify(fields)?.slice(0, 80) ?? 'nothing'}.`);
        const submit = parseRoute(schema.submit, 'submit', ['POST', 'PUT', 'PATCH'], 'POST');
        const submitLabel = typeof schema.submitLabel === 'string' && schema.submitLabel.trim() ? schema.submitLabel : 'Submit';
        return { ok: true, panel: { kind: 'form', fields, submit, submitLabel } };
      }
      case 'table':
        return { ok: true, panel: { kind: 'table', columns: parseColumns(schema.columns), ...parseDataSource(schema) } };
      case 'chart': {
        const chart = schema.chart ?? 'bar';
        if (chart !== 'bar' && chart !== 'line') fail(`'chart' must be bar or line; got ${JSON.stringify(chart)}.`);
        return { ok: true, panel: { kind: 'chart', chart, x: requireString(schema, 'x', '"day"'), y: requireString(schema, 'y', '"runs"'), ...parseDataSource(schema) } };
      }
      default:
        fail(`'kind' must be form, table, chart or markdown; got ${JSON.stringify(schema.kind) ?? 'nothing'}.`);
    }
  } catch (error) {
    if (error instanceof PanelSchemaError) return { ok: false, message: error.message };
    throw error;
  }
}

/** Builds the URL of a panel route: the extension's route prefix, with `{graphId}` and `{workspaceId}` filled in. */
export function panelRouteUrl(extensionId: string, route: string, context: PanelContext): string {
  const filled = route.replace(/\{(graphId|workspaceId)\}/g, (_match, name: 'graphId' | 'workspaceId') => {
    const value = context[name];
    if (value === undefined) throw new Error(`The panel route '${route}' needs {${name}}, which this page does not have; show the panel where a ${name === 'graphId' ? 'graph' : 'workspace'} is open.`);
    return encodeURIComponent(value);
  });
  return `/api/ext/${encodeURIComponent(extensionId)}/${filled}`;
}

/** Picks the rows out of a route's response by a dotted path, and throws an error naming the path when no array is there. */
export function rowsFromResponse(response: unknown, itemsPath: string | undefined): Record<string, unknown>[] {
  let value: unknown = response;
  for (const key of itemsPath ? itemsPath.split('.') : []) value = isRecord(value) ? value[key] : undefined;
  if (!Array.isArray(value)) throw new Error(`The panel's route returned no array${itemsPath ? ` at '${itemsPath}'` : ''}; set source.itemsPath to the field that contains the rows.`);
  return value.filter(isRecord);
}
