import { z } from 'zod';
import { ConflictError, MifyError, ValidationError } from '../../errors.js';
import type { SqlExecutor } from '../../storage/database.js';
import { jsonObject, MAX_STORED_JSON_BYTES, storableJson, storableText } from './arguments.js';
import { COLLECTION_NAME_PATTERN, FIELD_PATH_PATTERN, collectionIndexName, fieldExpression, fieldTextExpression, isUniqueViolation, parseCollectionDeclarations } from './collection-indexes.js';
import { defineHostMethod, type CollectionDeclaration, type HostCallScope, type HostMethod } from './types.js';

/** Maximum number of documents one `collections.find` returns. */
export const MAX_FIND_LIMIT = 1_000;

/** Maximum length of a document id, in characters. */
export const MAX_DOCUMENT_ID_CHARS = 256;

/** Maximum number of values in one `in` condition. */
export const MAX_IN_VALUES = 100;

const collectionName = z.string().regex(COLLECTION_NAME_PATTERN, 'must be a collection name declared in the manifest');
const documentId = storableText(MAX_DOCUMENT_ID_CHARS).min(1);
const fieldPath = z.string().regex(FIELD_PATH_PATTERN, 'must be a dotted path of identifiers such as "status" or "owner.id"');
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
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

const findQuery = z
  .object({
    collection: collectionName,
    where: z.record(fieldPath, z.union([scalar, z.array(z.json()), condition])).default({}),
    orderBy: z.object({ field: fieldPath, direction: z.enum(['asc', 'desc']).default('asc') }).strict().optional(),
    limit: z.number().int().min(1).max(MAX_FIND_LIMIT).default(100),
    cursor: z.string().max(4_096).optional(),
  })
  .strict();

type FindQuery = z.output<typeof findQuery>;

/** Position after the last document of a page, handed back to the caller as an opaque string. */
const cursorSchema = z.object({
  /** Sort field, or null when sorted by id only. */
  field: z.string().nullable(),
  direction: z.enum(['asc', 'desc']),
  /** Sort value of the last document as JSON text, or null when the document lacks the field. */
  key: z.string().nullable(),
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

/** Returns the declaration of `name`, or throws naming the declared collections. */
function declaredCollection(scope: HostCallScope, name: string): CollectionDeclaration {
  const declarations = parseCollectionDeclarations(scope.context.extensionId, scope.context.collections);
  const found = declarations.find((collection) => collection.name === name);
  if (found) return found;

  const declared = declarations.map((collection) => collection.name).join(', ') || 'none';
  throw new MifyError(
    'collection_not_declared',
    404,
    `Extension '${scope.context.extensionId}' has no collection '${name}'. Declared collections: ${declared}. Declare it with its indexes in mify.extension.json.`,
    { extensionId: scope.context.extensionId, collection: name },
  );
}

/** Throws unless `field` is part of one of the collection's declared indexes. */
function requireIndexedField(collection: CollectionDeclaration, field: string, usage: string): void {
  const declared = [...new Set(collection.indexes.flatMap((index) => index.fields))];
  if (declared.includes(field)) return;

  const list = declared.length > 0 ? declared.join(', ') : 'none';
  throw new ValidationError(
    `collections.find cannot ${usage} on field '${field}' of collection '${collection.name}', because no declared index contains it. ` +
      `Indexed fields: ${list}. Add an index on '${field}' to the collection in mify.extension.json.`,
    [{ path: usage === 'sort' ? 'query.orderBy.field' : `query.where.${field}`, message: `'${field}' is not in a declared index` }],
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
  const ops: Condition = isCondition ? (filter as Condition) : { eq: filter as z.output<typeof scalar> };
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

function decodeCursor(text: string, field: string | null, direction: 'asc' | 'desc'): Cursor {
  let cursor: Cursor;
  try {
    cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationError('query.cursor is not a cursor returned by collections.find; pass the nextCursor of the previous page unchanged.', [{ path: 'query.cursor', message: 'invalid cursor' }]);
  }
  if (cursor.field !== field || cursor.direction !== direction) {
    throw new ValidationError('query.cursor was returned for a different orderBy; keep orderBy unchanged between pages, or start again without a cursor.', [{ path: 'query.cursor', message: 'orderBy differs from the cursor' }]);
  }
  return cursor;
}

/**
 * Keyset condition for the rows after `cursor`. Rows are ordered by the sort field, with
 * documents lacking it last in ascending and first in descending order (PostgreSQL's
 * default NULLS placement, which a backward index scan can serve), then by id in the same
 * direction.
 */
function afterCursor(cursor: Cursor, expression: string | null, params: Parameters): string {
  const after = cursor.direction === 'asc' ? '>' : '<';
  const id = params.bind(cursor.id);
  if (expression === null) return `id ${after} ${id}`;

  if (cursor.key === null) {
    return cursor.direction === 'asc'
      ? `(${expression} is null and id > ${id})`
      : `((${expression} is null and id < ${id}) or ${expression} is not null)`;
  }
  const key = `${params.bind(cursor.key)}::jsonb`;
  const sameKeyLaterId = `(${expression} = ${key} and id ${after} ${id})`;
  return cursor.direction === 'asc'
    ? `(${expression} > ${key} or ${sameKeyLaterId} or ${expression} is null)`
    : `(${expression} < ${key} or ${sameKeyLaterId})`;
}

async function findDocuments(scope: HostCallScope, query: FindQuery) {
  const collection = declaredCollection(scope, query.collection);
  for (const field of Object.keys(query.where)) requireIndexedField(collection, field, 'filter');
  if (query.orderBy) requireIndexedField(collection, query.orderBy.field, 'sort');

  const params = new Parameters();
  const conditions = [
    `extension_id = ${params.bind(scope.context.extensionId)}`,
    `workspace_id = ${params.bind(scope.workspaceKey)}`,
    `collection = ${params.bind(collection.name)}`,
  ];
  for (const [field, filter] of Object.entries(query.where)) conditions.push(...fieldConditions(field, filter, params));

  const field = query.orderBy?.field ?? null;
  const direction = query.orderBy?.direction ?? 'asc';
  const sortExpression = field === null ? null : fieldExpression(field);
  if (query.cursor !== undefined) conditions.push(afterCursor(decodeCursor(query.cursor, field, direction), sortExpression, params));

  const order = sortExpression === null ? `id ${direction}` : `${sortExpression} ${direction}, id ${direction}`;
  const sortKey = sortExpression === null ? '' : `, ${sortExpression}::text as sort_key`;
  const rows = await scope.services.db.query<DocumentRow>(
    `select id, data, created_at, updated_at${sortKey} from extension_documents where ${conditions.join(' and ')} order by ${order} limit ${params.bind(query.limit + 1)}`,
    params.values,
  );

  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ field, direction, key: last.sort_key ?? null, id: last.id }) : null;
  return { documents: page.map(toDocument), nextCursor };
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
async function checkUniqueIndexes(tx: SqlExecutor, scope: HostCallScope, collection: CollectionDeclaration, id: string, data: Record<string, unknown>): Promise<void> {
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

async function putDocument(scope: HostCallScope, name: string, id: string, data: Record<string, unknown>) {
  const collection = declaredCollection(scope, name);
  try {
    const row = await scope.services.db.transaction(async (tx) => {
      await checkUniqueIndexes(tx, scope, collection, id, data);
      const rows = await tx.query<DocumentRow>(
        `insert into extension_documents (extension_id, workspace_id, collection, id, data)
         values ($1, $2, $3, $4, $5::jsonb)
         on conflict (extension_id, workspace_id, collection, id)
         do update set data = excluded.data, updated_at = now()
         returning id, data, created_at, updated_at`,
        [scope.context.extensionId, scope.workspaceKey, collection.name, id, JSON.stringify(data)],
      );
      return rows[0]!;
    });
    return toDocument(row);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const constraint = (error as { constraint?: string }).constraint;
    const index = collection.indexes.find((candidate) => candidate.unique && collectionIndexName(scope.context.extensionId, collection.name, candidate) === constraint);
    throw uniqueConflict(collection.name, index?.fields ?? collection.indexes.filter((candidate) => candidate.unique).flatMap((candidate) => candidate.fields));
  }
}

async function deleteDocument(scope: HostCallScope, name: string, id: string) {
  const collection = declaredCollection(scope, name);
  const rows = await scope.services.db.query(
    `delete from extension_documents where extension_id = $1 and workspace_id = $2 and collection = $3 and id = $4 returning id`,
    [scope.context.extensionId, scope.workspaceKey, collection.name, id],
  );
  return { deleted: rows.length > 0 };
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
    parameters: { collection: collectionName, id: documentId },
    target: ({ collection }) => collection,
    run: ({ collection, id }, scope) => getDocument(scope, collection, id),
  }),
  defineHostMethod({
    name: 'collections.put',
    permission: 'collections:write',
    parameters: { collection: collectionName, id: documentId, data: jsonObject.superRefine(storableJson(MAX_STORED_JSON_BYTES)) },
    target: ({ collection }) => collection,
    run: ({ collection, id, data }, scope) => putDocument(scope, collection, id, data),
  }),
  defineHostMethod({
    name: 'collections.delete',
    permission: 'collections:write',
    parameters: { collection: collectionName, id: documentId },
    target: ({ collection }) => collection,
    run: ({ collection, id }, scope) => deleteDocument(scope, collection, id),
  }),
  defineHostMethod({
    name: 'collections.find',
    permission: 'collections:read',
    parameters: { query: findQuery },
    target: ({ query }) => query.collection,
    run: ({ query }, scope) => findDocuments(scope, query),
  }),
];
