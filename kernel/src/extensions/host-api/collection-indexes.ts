import { createHash } from 'node:crypto';
import { EXTENSION_ID_PATTERN } from '@mify/sdk';
import { z } from 'zod';
import { ConflictError, ValidationError } from '../../errors.js';
import type { SqlExecutor } from '../../storage/database.js';

/**
 * A dotted field path of at most 8 segments, each of at most 64 letters, digits, `_`, `$`
 * or `-` and not starting with a digit or `-` (the SDK's manifest pattern, with length
 * limits). Paths are written into SQL as `'{"a","b"}'` literals, because expression indexes
 * cannot take bound parameters, so this pattern is what keeps them safe: it admits no
 * quote, comma, brace, backslash or space.
 */
export const FIELD_PATH_PATTERN = /^[A-Za-z_$][\w$-]{0,63}(?:\.[A-Za-z_$][\w$-]{0,63}){0,7}$/;

/** Collection names as the SDK's manifest schema admits them: a lower-case letter, then `a-z`, `0-9`, `_` or `-`, 63 characters at most. */
export const COLLECTION_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export { EXTENSION_ID_PATTERN };

/** Maximum fields in one index, and indexes in one collection. */
export const MAX_INDEX_FIELDS = 4;
export const MAX_COLLECTION_INDEXES = 16;

const fieldPath = z.string().regex(FIELD_PATH_PATTERN, 'must be a field name or dotted path such as "status" or "owner.id" (at most 8 segments of 64 characters)');

export const collectionDeclarationSchema = z.object({
  name: z.string().regex(COLLECTION_NAME_PATTERN, 'must start with a lower-case letter and contain only a-z, 0-9, "_" or "-" (63 characters at most)'),
  indexes: z
    .array(z.object({ fields: z.array(fieldPath).min(1).max(MAX_INDEX_FIELDS), unique: z.boolean().optional() }))
    .max(MAX_COLLECTION_INDEXES)
    .default([]),
});

/**
 * Returns the SQL expression that reads `path` from a document as `jsonb`, e.g.
 * `(data #> '{"owner","id"}')`. Queries and indexes must use this same text, or PostgreSQL
 * will not match them. The value stays `jsonb` so comparisons follow JSON types: numbers
 * compare as numbers, and the string "1" never equals the number 1.
 */
export function fieldExpression(path: string): string {
  return `(data #> ${pathLiteral(path)})`;
}

/** Returns the SQL expression that reads `path` from a document as `text`, for string functions. */
export function fieldTextExpression(path: string): string {
  return `(data #>> ${pathLiteral(path)})`;
}

/**
 * Returns `path` as a PostgreSQL text-array literal, e.g. `'{"owner","id"}'`. Each element is
 * double-quoted, so a field named `null` stays a name rather than becoming an SQL NULL.
 */
function pathLiteral(path: string): string {
  if (!FIELD_PATH_PATTERN.test(path)) throw new Error(`unvalidated field path ${JSON.stringify(path)}`);
  return `'{${path.split('.').map((segment) => `"${segment}"`).join(',')}}'`;
}

/** Returns whether a database error is PostgreSQL's unique_violation (SQLSTATE 23505), from node-postgres or PGlite. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Quotes a string as an SQL literal. Only for DDL, where bound parameters are not possible. */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Returns the index name for one declared index: a fixed prefix and a hash of the
 * extension, collection, fields and uniqueness. It is at most 63 bytes, as PostgreSQL
 * requires, and contains only `[a-z0-9_]`, so it needs no quoting.
 */
export function collectionIndexName(extensionId: string, collection: string, index: { fields: string[]; unique?: boolean | undefined }): string {
  const hash = createHash('sha256')
    .update([extensionId, collection, index.fields.join(','), index.unique ? 'unique' : 'plain'].join('\u0000'))
    .digest('hex')
    .slice(0, 40);
  return `extension_documents_${hash}`;
}

/** A collection declaration after parsing, with `indexes` defaulted to none. */
export type ParsedCollection = z.output<typeof collectionDeclarationSchema>;

/** Checks declarations from a manifest; throws a `ValidationError` naming each invalid one. */
export function parseCollectionDeclarations(extensionId: string, collections: unknown): ParsedCollection[] {
  const problems: Array<{ path: string; message: string }> = [];
  if (!EXTENSION_ID_PATTERN.test(extensionId)) problems.push({ path: 'id', message: `'${extensionId}' is not a valid extension id` });

  const parsed = z.array(collectionDeclarationSchema).safeParse(collections);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ path: ['collections', ...issue.path.map(String)].join('.'), message: issue.message });
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ValidationError(`Invalid collection declarations of extension '${extensionId}': ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, problems);
  }

  const seen = new Set<string>();
  for (const collection of parsed.data) {
    if (seen.has(collection.name)) {
      throw new ValidationError(`Extension '${extensionId}' declares collection '${collection.name}' twice; keep one declaration.`, [{ path: 'collections', message: `duplicate name '${collection.name}'` }]);
    }
    seen.add(collection.name);
  }
  return parsed.data;
}

/**
 * Creates the expression indexes that an extension's collections declare, so `find` can
 * filter and sort on declared fields without scanning, and unique indexes are enforced by
 * PostgreSQL. Each index is partial on the extension and collection and starts with
 * `workspace_id`, so workspaces never share uniqueness. Plain indexes end with `id`, the
 * tie-breaker of sorted pages. Indexes that exist already are kept.
 *
 * Creating a unique index fails with a `ConflictError` naming the collection and fields
 * when stored documents already break it.
 *
 * @returns the names of the declared indexes, created or already there
 * @example
 * await ensureCollectionIndexes(db, 'acme.tasks', [{ name: 'tasks', indexes: [{ fields: ['status'] }] }]);
 */
// NOTE: indexes of collections or fields that a newer manifest no longer declares are not dropped.
export async function ensureCollectionIndexes(db: SqlExecutor, extensionId: string, collections: unknown): Promise<string[]> {
  const declarations = parseCollectionDeclarations(extensionId, collections);
  const declared: Array<{ name: string; collection: string; index: ParsedCollection['indexes'][number] }> = [];
  for (const collection of declarations) {
    for (const index of collection.indexes) declared.push({ name: collectionIndexName(extensionId, collection.name, index), collection: collection.name, index });
  }
  if (declared.length === 0) return [];

  // Every start loads every extension. One catalog read costs far less than a `create index if
  // not exists` per index: on PGlite the 3 indexes of the bundled extensions took about 190 ms
  // of each start, running PostgreSQL's DDL code even when the indexes existed.
  const existing = await db.query<{ indexname: string }>(
    `select indexname from pg_indexes where schemaname = current_schema() and tablename = 'extension_documents' and indexname = any($1::text[])`,
    [declared.map((entry) => entry.name)],
  );
  const present = new Set(existing.map((row) => row.indexname));

  for (const { name, collection, index } of declared) {
    if (present.has(name)) continue;
    const columns = ['workspace_id', ...index.fields.map(fieldExpression), ...(index.unique ? [] : ['id'])];
    const sql =
      `create ${index.unique ? 'unique ' : ''}index if not exists ${name} on extension_documents (${columns.join(', ')}) ` +
      `where extension_id = ${sqlLiteral(extensionId)} and collection = ${sqlLiteral(collection)}`;
    try {
      await db.exec(sql);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new ConflictError(
        `Could not create the unique index on (${index.fields.join(', ')}) of collection '${collection}' of extension '${extensionId}', ` +
          'because stored documents of one workspace already share these values. Remove the duplicates, or drop "unique" from the declaration.',
        { extensionId, collection, fields: index.fields },
      );
    }
  }
  return declared.map((entry) => entry.name);
}
