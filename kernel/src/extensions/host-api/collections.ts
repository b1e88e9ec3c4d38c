import { z } from 'zod';
import { newId } from '../../auth/tokens.js';
import { ConflictError, MifyError } from '../../errors.js';
import type { SqlExecutor } from '../../storage/database.js';
import { InvalidArgumentError, jsonObject, MAX_STORED_JSON_BYTES, storableJson, storableText } from './arguments.js';
import {
  COLLECTION_NAME_PATTERN,
  FIELD_PATH_PATTERN,
  collectionIndexName,
  fieldExpression,
  fieldTextExpression,
  isUniqueViolation,
  parseCollectionDeclarations,
  type ParsedCollection,
} from './collection-indexes.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum number of documents one `collections.find` returns. */
export const MAX_FIND_LIMIT = 1_000;

/** Maximum length of a document id, in characters. */
export const MAX_DOCUMENT_ID_CHARS = 256;

/** Maximum number of values in one `in` condition. */
export const MAX_IN_VALUES = 100;

/** Maximum number of sort keys of one `collections.find`. */
export const MAX_SORT_KEYS = 3;

const collectionName = z.string().regex(COLLECTION_NAME_PATTERN, 'must be a collection name declared in the manifest');
const documentId = storableText(MAX_DOCUMENT_ID_CHARS).min(1);
const fieldPath = z.string().regex(FIELD_PATH_PATTERN, 'must be a field name or dotted path such as "status" or "owner.id"');
const comparable = z.union([z.string(), z.number()]);

const condition = z
  .object({
    eq: z.json().optional(),
    ne: z.json().optional(),
    gt: comparable.optional(),
    gte: comparable.optional(),
    lt: comparable.optional(),
    lte: comparable.optional(),
    in: z.array(z.json()).min(1).max(MAX_IN_VALUES).optional(),
    prefix: z.string().optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'must contain at least one of eq, ne, gt, gte, lt, lte, in, prefix');

type Condition = z.output<typeof condition>;

const sortKey = z.object({ field: fieldPath, direction: z.enum(['asc', 'desc']).default('asc') }).strict();

type SortKey = z.output<typeof sortKey>;

const findQuery = z
  .object({
    /** A plain JSON value (not an object) means `{ eq: value }`; an object lists operators. */
    where: z.record(fieldPath, z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.json()), condition])).default({}),
    /** Sort keys, first one first; a single key may be given without the array. */
    orderBy: z
      .union([sortKey.transform((key) => [key]), z.array(sortKey).max(MAX_SORT_KEYS)])
      .default([]),
    limit: z.number().int().min(1).max(MAX_FIND_LIMIT).default(100),
    cursor: z.string().max(4_096).optional(),
  })
  .strict()
  .default({ where: {}, orderBy: [], limit: 100 });

type FindQuery = z.output<typeof findQuery>;

const putDocumentInput = z
  .object({
    /** Document id; the kernel generates one when it is missing. */
    id: documentId.optional(),
    data: jsonObject.superRefine(storableJson(MAX_STORED_JSON_BYTES)),
  })
  .strict();

const scopeOptions = z
  .object({
    /** `workspace` (default): the call's workspace. `extension`: the extension-level documents, see `extensionScope`. */
    scope: z.enum(['workspace', 'extension']).default('workspace'),
  })
  .strict()
  .optional();

type ScopeOptions = z.output<typeof scopeOptions>;

/** Position after the last document of a page, handed back to the caller as an opaque string. */
const cursorSchema = z.object({
  orderBy: z.array(z.object({ field: z.string(), direction: z.enum(['asc', 'desc']) })),
  /** Sort values of the last document as JSON text, null where the document lacks the field. */
  keys: z.array(z.string().nullable()),
  id: z.string(),
});

type Cursor = z.output<typeof cursorSchema>;

interface DocumentRow {
  id: string;
  data: unknown;
  created_at: Date | string;
  updated_at: Date | string;
  sort_key?: string | null;
}

function toDocument(row: DocumentRow) {
  return { id: row.id, data: row.data, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() };
}

/** Returns the declaration of `name`, or throws `not_found` naming the declared collections. */
function declaredCollection(scope: HostCallScope, name: string): ParsedCollection {
  const declarations = parseCollectionDeclarations(scope.context.extensionId, scope.context.collections);
  const found = declarations.find((collection) => collection.name === name);
  if (found) return found;

  const declared = declarations.map((collection) => collection.name).join(', ') || 'none';
  throw new MifyError(
    'not_found',
    404,
    `Extension '${scope.context.extensionId}' has no collection '${name}'. Declared collections: ${declared}. Declare it under "collections" in mify.extension.json.`,
    { extensionId: scope.context.extensionId, collection: name },
  );
}

/** Throws unless `field` is part of one of the collection's declared indexes. */
function requireIndexedField(collection: ParsedCollection, field: string, usage: 'filter' | 'sort'): void {
  const declared = [...new Set(collection.indexes.flatMap((index) => index.fields))];
  if (declared.includes(field)) return;

  const list = declared.length > 0 ? declared.join(', ') : 'none';
  throw new InvalidArgumentError(
    `collections.find cannot ${usage} on field '${field}' of collection '${collection.name}', because no declared index contains it. ` +
      `Indexed fields: ${list}. Add an index on '${field}' to the collection in mify.extension.json.`,
    [{ path: usage === 'sort' ? 'query.orderBy' : `query.where.${field}`, message: `'${field}' is not in a declared index` }],
  );
}

/** Collects bound parameters and returns their `$n` placeholders, so values never enter the SQL text. */
class Parameters {
  readonly values: unknown[] = [];

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  bindJson(value: unknown): string {
    return `${this.bind(JSON.stringify(value))}::jsonb`;
  }
}

/** SQL conditions for one field; every value is bound. */
function fieldConditions(path: string, filter: unknown, params: Parameters): string[] {
  const expression = fieldExpression(path);
  const isCondition = typeof filter === 'object' && filter !== null && !Array.isArray(filter);
  const ops: Condition = isCondition ? (filter as Condition) : { eq: filter as z.core.util.JSONType };
  const sql: string[] = [];

  if (ops.eq !== undefined) sql.push(`${expression} = ${params.bindJson(ops.eq)}`);
  if (ops.ne !== undefined) sql.push(`${expression} is distinct from ${params.bindJson(ops.ne)}`);

  const ranges = [['gt', '>'], ['gte', '>='], ['lt', '<'], ['lte', '<=']] as const;
  for (const [name, operator] of ranges) {
    const value = ops[name];
    if (value === undefined) continue;
    // jsonb orders values of different JSON types by type, so a range holds only within one type.
    const type = typeof value === 'number' ? 'number' : 'string';
    sql.push(`jsonb_typeof(${expression}) = '${type}' and ${expression} ${operator} ${params.bindJson(value)}`);
  }

  if (ops.in !== undefined) sql.push(`${expression} = any(array(select jsonb_array_elements(${params.bindJson(ops.in)})))`);
  if (ops.prefix !== undefined) {
    sql.push(`jsonb_typeof(${expression}) = 'string' and starts_with(${fieldTextExpression(path)}, ${params.bind(ops.prefix)})`);
  }
  return sql;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string, orderBy: SortKey[]): Cursor {
  let cursor: Cursor;
  try {
    cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidArgumentError('query.cursor is not a cursor returned by collections.find; pass the nextCursor of the previous page unchanged.', [{ path: 'query.cursor', message: 'invalid cursor' }]);
  }
  const sameOrder = cursor.keys.length === orderBy.length && JSON.stringify(cursor.orderBy) === JSON.stringify(orderBy.map(({ field, direction }) => ({ field, direction })));
  if (!sameOrder) {
    throw new InvalidArgumentError('query.cursor was returned for a different orderBy; keep orderBy unchanged between pages, or start again without a cursor.', [{ path: 'query.cursor', message: 'orderBy differs from the cursor' }]);
  }
  return cursor;
}

/**
 * Builds the keyset condition for the rows after `cursor`. Rows are ordered by each sort key
 * and then by id, in the direction of the last key. Documents that lack a sort field come
 * last in ascending and first in descending order. That is PostgreSQL's default NULLS
 * placement, which an index scan in either direction can serve.
 */
function afterCursor(cursor: Cursor, orderBy: SortKey[], params: Parameters): string {
  const alternatives: string[] = [];
  const equalSoFar: string[] = [];

  orderBy.forEach((key, index) => {
    const expression = fieldExpression(key.field);
    const value = cursor.keys[index] ?? null;
    const bound = value === null ? null : `${params.bind(value)}::jsonb`;

    // Rows after the cursor in this key, with every earlier key equal.
    let after: string | null;
    if (key.direction === 'asc') after = bound === null ? null : `(${expression} > ${bound} or ${expression} is null)`;
    else after = bound === null ? `${expression} is not null` : `${expression} < ${bound}`;
    if (after !== null) alternatives.push([...equalSoFar, after].join(' and '));

    equalSoFar.push(bound === null ? `${expression} is null` : `${expression} = ${bound}`);
  });

  const idDirection = orderBy[orderBy.length - 1]?.direction ?? 'asc';
  alternatives.push([...equalSoFar, `id ${idDirection === 'asc' ? '>' : '<'} ${params.bind(cursor.id)}`].join(' and '));
  return `(${alternatives.map((alternative) => `(${alternative})`).join(' or ')})`;
}

async function findDocuments(scope: HostCallScope, name: string, query: FindQuery, idPrefix: string | null = null) {
  const collection = declaredCollection(scope, name);
  for (const field of Object.keys(query.where)) requireIndexedField(collection, field, 'filter');
  for (const key of query.orderBy) requireIndexedField(collection, key.field, 'sort');

  const params = new Parameters();
  const conditions = [
    `extension_id = ${params.bind(scope.context.extensionId)}`,
    `workspace_id = ${params.bind(scope.workspaceKey)}`,
    `collection = ${params.bind(collection.name)}`,
  ];
  if (idPrefix !== null) conditions.push(`starts_with(id, ${params.bind(idPrefix)})`);
  for (const [field, filter] of Object.entries(query.where)) conditions.push(...fieldConditions(field, filter, params));
  if (query.cursor !== undefined) conditions.push(afterCursor(decodeCursor(query.cursor, query.orderBy), query.orderBy, params));

  const idDirection = query.orderBy[query.orderBy.length - 1]?.direction ?? 'asc';
  const order = [...query.orderBy.map((key) => `${fieldExpression(key.field)} ${key.direction}`), `id ${idDirection}`].join(', ');
  const sortKeys = query.orderBy.map((key, index) => `, ${fieldExpression(key.field)}::text as sort_key_${index}`).join('');
  const rows = await scope.services.db.query<DocumentRow & Record<string, unknown>>(
    `select id, data, created_at, updated_at${sortKeys} from extension_documents where ${conditions.join(' and ')} order by ${order} limit ${params.bind(query.limit + 1)}`,
    params.values,
  );

  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > query.limit && last
    ? encodeCursor({
        orderBy: query.orderBy.map(({ field, direction }) => ({ field, direction })),
        keys: query.orderBy.map((_key, index) => (last[`sort_key_${index}`] as string | null | undefined) ?? null),
        id: last.id,
      })
    : null;
  return { data: page.map(toDocument), nextCursor };
}

async function getDocument(scope: HostCallScope, name: string, id: string) {
  const collection = declaredCollection(scope, name);
  const rows = await scope.services.db.query<DocumentRow>(
    `select id, data, created_at, updated_at from extension_documents where extension_id = $1 and workspace_id = $2 and collection = $3 and id = $4`,
    [scope.context.extensionId, scope.workspaceKey, collection.name, id],
  );
  return rows[0] ? toDocument(rows[0]) : null;
}

/**
 * Throws a `ConflictError` when another document of the workspace has the same values in
 * all fields of a unique index. This gives a clear message even where the index has not
 * been created yet; where it has, PostgreSQL also enforces it against concurrent writers.
 */
async function checkUniqueIndexes(tx: SqlExecutor, scope: HostCallScope, collection: ParsedCollection, id: string, data: Record<string, unknown>): Promise<void> {
  for (const index of collection.indexes) {
    if (!index.unique) continue;

    // A document that lacks one of the fields has SQL NULL there and, as in the index, conflicts with nothing.
    const values = index.fields.map((field) => valueAtPath(data, field));
    if (values.some((value) => value === undefined)) continue;

    const params = new Parameters();
    const conditions = [
      `extension_id = ${params.bind(scope.context.extensionId)}`,
      `workspace_id = ${params.bind(scope.workspaceKey)}`,
      `collection = ${params.bind(collection.name)}`,
      `id <> ${params.bind(id)}`,
      ...index.fields.map((field, position) => `${fieldExpression(field)} = ${params.bindJson(values[position])}`),
    ];
    const rows = await tx.query<{ id: string }>(`select id from extension_documents where ${conditions.join(' and ')} limit 1`, params.values);
    if (rows[0]) throw uniqueConflict(collection.name, index.fields, rows[0].id);
  }
}

/** Reads a dotted path the way `#>` does: undefined where a segment is missing or the parent is not an object. */
function valueAtPath(data: unknown, path: string): unknown {
  let current = data;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function uniqueConflict(collection: string, fields: string[], otherId?: string): ConflictError {
  const other = otherId === undefined ? 'another document' : `document '${otherId}'`;
  return new ConflictError(
    `Collection '${collection}' has a unique index on (${fields.join(', ')}), and ${other} already has the same values. Change these fields, or update that document instead.`,
    { collection, fields, ...(otherId === undefined ? {} : { conflictingId: otherId }) },
  );
}

async function putDocument(scope: HostCallScope, name: string, input: z.output<typeof putDocumentInput>) {
  const collection = declaredCollection(scope, name);
  const id = input.id ?? newId('doc');
  try {
    const row = await scope.services.db.transaction(async (tx) => {
      await checkUniqueIndexes(tx, scope, collection, id, input.data);
      const rows = await tx.query<DocumentRow>(
        `insert into extension_documents (extension_id, workspace_id, collection, id, data)
         values ($1, $2, $3, $4, $5::jsonb)
         on conflict (extension_id, workspace_id, collection, id)
         do update set data = excluded.data, updated_at = now()
         returning id, data, created_at, updated_at`,
        [scope.context.extensionId, scope.workspaceKey, collection.name, id, JSON.stringify(input.data)],
      );
      return rows[0]!;
    });
    return toDocument(row);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // A concurrent writer got there between the check and the insert; the index caught it.
    const constraint = (error as { constraint?: string }).constraint;
    const index = collection.indexes.find((candidate) => candidate.unique && collectionIndexName(scope.context.extensionId, collection.name, candidate) === constraint);
    throw uniqueConflict(collection.name, index?.fields ?? collection.indexes.filter((candidate) => candidate.unique).flatMap((candidate) => candidate.fields));
  }
}

/** Deletes a document; returns whether it existed. */
async function deleteDocument(scope: HostCallScope, name: string, id: string): Promise<boolean> {
  const collection = declaredCollection(scope, name);
  const rows = await scope.services.db.query(
    `delete from extension_documents where extension_id = $1 and workspace_id = $2 and collection = $3 and id = $4 returning id`,
    [scope.context.extensionId, scope.workspaceKey, collection.name, id],
  );
  return rows.length > 0;
}

/** Rows one call reaches: the scope whose `workspaceKey` selects them, and the id prefix the call is confined to. */
interface DocumentScope {
  scope: HostCallScope;
  /** Ids outside it are rejected; null when the call may reach every id of the rows. */
  idPrefix: string | null;
}

/**
 * Resolves the rows a call reaches. With `scope: 'extension'` these are the extension-level
 * rows (`workspace_id` ''), which public routes of the extension read. A call that serves a
 * workspace reaches there only ids starting with `<workspace id>:`, so members of one
 * workspace can neither read nor overwrite another workspace's extension-level documents.
 *
 * NOTE: unique indexes of extension-level documents span all workspaces, and a conflict
 * message names the other document's id, which may belong to another workspace.
 */
function documentScope(scope: HostCallScope, options: ScopeOptions): DocumentScope {
  if ((options?.scope ?? 'workspace') === 'workspace') return { scope, idPrefix: null };

  const workspaceId = scope.context.workspaceId;
  return { scope: { ...scope, workspaceKey: '' }, idPrefix: workspaceId ? `${workspaceId}:` : null };
}

/** Throws `permission_denied` (403) when `id` is outside the call's id prefix. */
function requireOwnId(target: DocumentScope, method: string, id: string): void {
  if (target.idPrefix === null || id.startsWith(target.idPrefix)) return;
  throw new MifyError(
    'permission_denied',
    403,
    `${method} with scope 'extension' from a call of workspace '${target.scope.context.workspaceId}' may only use ids that start with '${target.idPrefix}', got '${id}'. Prefix the id with the workspace id, or omit it in put to get a generated one.`,
    { extensionId: target.scope.context.extensionId, id },
  );
}

/**
 * Extension collections on table `extension_documents`: JSON documents namespaced by
 * extension, workspace and a collection the manifest declares. `find` filters and sorts
 * only on fields of declared indexes, so every query can use an index.
 */
export const collectionMethods: HostMethod[] = [
  defineHostMethod({
    name: 'collections.get',
    permission: 'collections:read',
    parameters: { collection: collectionName, id: documentId, options: scopeOptions },
    target: ({ collection }) => collection,
    run: ({ collection, id, options }, scope) => {
      const target = documentScope(scope, options);
      requireOwnId(target, 'collections.get', id);
      return getDocument(target.scope, collection, id);
    },
  }),
  defineHostMethod({
    name: 'collections.put',
    permission: 'collections:write',
    parameters: { collection: collectionName, document: putDocumentInput, options: scopeOptions },
    target: ({ collection }) => collection,
    run: ({ collection, document, options }, scope) => {
      const target = documentScope(scope, options);
      const id = document.id ?? (target.idPrefix === null ? undefined : `${target.idPrefix}${newId('doc')}`);
      if (id !== undefined) requireOwnId(target, 'collections.put', id);
      return putDocument(target.scope, collection, { ...document, ...(id === undefined ? {} : { id }) });
    },
  }),
  defineHostMethod({
    name: 'collections.delete',
    permission: 'collections:write',
    parameters: { collection: collectionName, id: documentId, options: scopeOptions },
    target: ({ collection }) => collection,
    run: ({ collection, id, options }, scope) => {
      const target = documentScope(scope, options);
      requireOwnId(target, 'collections.delete', id);
      return deleteDocument(target.scope, collection, id);
    },
  }),
  defineHostMethod({
    name: 'collections.find',
    permission: 'collections:read',
    // null stands for the default query, so options can follow it.
    parameters: { collection: collectionName, query: z.preprocess((value) => value ?? undefined, findQuery), options: scopeOptions },
    target: ({ collection }) => collection,
    run: ({ collection, query, options }, scope) => {
      const target = documentScope(scope, options);
      return findDocuments(target.scope, collection, query, target.idPrefix);
    },
  }),
];
