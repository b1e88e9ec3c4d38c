import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MifyError, NotFoundError } from '../../errors.js';
import { InvalidArgumentError } from './arguments.js';
import { EXTENSION_ID_PATTERN } from './collection-indexes.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum size of one file, in bytes. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Maximum entries one `files.list` returns. */
export const MAX_LIST_LIMIT = 1_000;

/** Folder under the kernel's data folder that contains every extension's files. */
export const EXTENSION_FILES_FOLDER = 'extension-files';

/** Folder name for files of the extension itself, outside any workspace; workspace ids never start with `_`. */
const GLOBAL_FOLDER = '_global';

/**
 * Prefix of the kernel's own files beside an extension's files: temporary files of atomic
 * writes and `.mify-meta-<name>` with a file's MIME type. Hidden from `list`, rejected in paths.
 */
const RESERVED_PREFIX = '.mify-';

const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** MIME types by file extension, for files written without one. */
const MIME_TYPES: Record<string, string> = {
  '.txt': 'text/plain', '.md': 'text/markdown', '.csv': 'text/csv', '.html': 'text/html', '.json': 'application/json',
  '.jsonl': 'application/x-ndjson', '.xml': 'application/xml', '.yaml': 'application/yaml', '.yml': 'application/yaml',
  '.pdf': 'application/pdf', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.webp': 'image/webp', '.svg': 'image/svg+xml', '.mp3': 'audio/mpeg', '.wav': 'audio/wav', '.zip': 'application/zip',
};

/**
 * A relative path inside the extension's folder. Segments are separated by `/`; `.`, `..`,
 * empty segments, backslashes and control characters are rejected, so a path cannot leave
 * the folder by its text. Symbolic links are rejected separately, on disk.
 */
const filePath = z
  .string()
  .min(1)
  .max(1_024)
  .refine((text) => !text.startsWith('/'), 'must be relative, without a leading "/"')
  .refine((text) => !/[\\\u0000-\u001f\u007f]/.test(text), 'must not contain backslashes or control characters')
  .refine((text) => text.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'), 'must not contain empty, "." or ".." segments')
  // 200 bytes leaves room for the `.mify-meta-` name beside the file within the usual 255-byte file name limit.
  .refine((text) => text.split('/').every((segment) => Buffer.byteLength(segment) <= 200), 'has a segment longer than 200 bytes')
  .refine((text) => text.split('/').every((segment) => !segment.startsWith(RESERVED_PREFIX)), `must not contain segments starting with "${RESERVED_PREFIX}", which the kernel reserves`);

const mimeType = z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:;.{0,200})?$/i, 'must be a MIME type such as text/csv');

const readOptions = z
  .object({ encoding: z.enum(['base64', 'utf8']).default('base64') })
  .strict()
  .default({ encoding: 'base64' });

const writeInput = z
  .object({
    /** Content as base64. */
    dataBase64: z.string().max(Math.ceil(MAX_FILE_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64 (A-Z, a-z, 0-9, +, /, = padding)').optional(),
    /** Content as text, stored as UTF-8. */
    text: z.string().max(MAX_FILE_BYTES).optional(),
    mimeType: mimeType.optional(),
  })
  .strict()
  .refine((input) => (input.dataBase64 === undefined) !== (input.text === undefined), 'must contain exactly one of dataBase64 and text');

const listOptions = z
  .object({
    prefix: z.string().max(1_024).default(''),
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(100),
    cursor: z.string().max(1_024).optional(),
  })
  .strict()
  .default({ prefix: '', limit: 100 });

/** Metadata of a stored file, as the SDK's `FileInfo` declares it. */
interface FileInfo {
  path: string;
  mimeType: string;
  /** Size in bytes. */
  size: number;
  /** ISO 8601 time of the last write. */
  updatedAt: string;
}

function filesError(code: string, status: number, message: string, relative: string): MifyError {
  return new MifyError(code, status, message, { path: relative });
}

/** Returns the extension's folder for one workspace, e.g. `<dataDir>/extension-files/acme.notes/ws_1`. */
export function extensionFilesRoot(dataDir: string, extensionId: string, workspaceId: string | null): string {
  if (!EXTENSION_ID_PATTERN.test(extensionId)) throw new Error(`extension id ${JSON.stringify(extensionId)} cannot be used as a folder name`);
  if (workspaceId !== null && !WORKSPACE_ID_PATTERN.test(workspaceId)) throw new Error(`workspace id ${JSON.stringify(workspaceId)} cannot be used as a folder name`);
  return path.join(dataDir, EXTENSION_FILES_FOLDER, extensionId, workspaceId ?? GLOBAL_FOLDER);
}

function callerRoot(scope: HostCallScope): string {
  return extensionFilesRoot(scope.context.dataDir, scope.context.extensionId, scope.context.workspaceId);
}

function symlinkRejected(relative: string): MifyError {
  return filesError('symlink_rejected', 403, `The path '${relative}' goes through a symbolic link, which extension files may not use. An operator must replace the link with a real file or folder.`, relative);
}

/**
 * Resolves `relative` under the caller's folder after checking, component by component with
 * `lstat`, that no existing part of the path from `extension-files/` down is a symbolic
 * link. With `create`, missing folders are made on the way.
 *
 * @returns the absolute path; its last component may not exist
 */
async function resolveInside(scope: HostCallScope, relative: string, options: { create: boolean }): Promise<string> {
  const base = path.join(scope.context.dataDir, EXTENSION_FILES_FOLDER);
  const components = [...path.relative(base, callerRoot(scope)).split(path.sep), ...relative.split('/')];
  const last = components.length - 1;

  if (options.create) await fs.mkdir(base, { recursive: true });
  let current = base;
  for (const [index, component] of components.entries()) {
    current = path.join(current, component);

    let stats: Stats;
    try {
      stats = await fs.lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!options.create || index === last) return path.join(base, ...components);
      await fs.mkdir(current);
      continue;
    }

    if (stats.isSymbolicLink()) throw symlinkRejected(relative);
    if (index < last && !stats.isDirectory()) {
      throw filesError('not_a_folder', 409, `The path '${relative}' goes through '${component}', which is a file, not a folder.`, relative);
    }
  }
  return current;
}

function metadataPath(absolute: string): string {
  return path.join(path.dirname(absolute), `${RESERVED_PREFIX}meta-${path.basename(absolute)}`);
}

async function readMimeType(absolute: string): Promise<string> {
  try {
    const stored = JSON.parse(await fs.readFile(metadataPath(absolute), 'utf8')) as { mimeType?: unknown };
    if (typeof stored.mimeType === 'string') return stored.mimeType;
  } catch {
    // No stored type: fall back to the file extension.
  }
  return MIME_TYPES[path.extname(absolute).toLowerCase()] ?? 'application/octet-stream';
}

async function describeFile(relative: string, absolute: string, stats: Stats): Promise<FileInfo> {
  return { path: relative, mimeType: await readMimeType(absolute), size: stats.size, updatedAt: stats.mtime.toISOString() };
}

async function readFile(scope: HostCallScope, relative: string, encoding: 'base64' | 'utf8') {
  const absolute = await resolveInside(scope, relative, { create: false });

  let handle;
  try {
    // O_NOFOLLOW: a link put in place after the check above is still not followed.
    handle = await fs.open(absolute, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError('File', relative);
    if (code === 'ELOOP') throw symlinkRejected(relative);
    throw error;
  }

  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw filesError('not_a_file', 409, `The path '${relative}' is a folder; list its files with files.list({ prefix: '${relative}/' }).`, relative);
    if (stats.size > MAX_FILE_BYTES) throw filesError('file_too_large', 413, `The file '${relative}' is ${stats.size} bytes; files.read returns at most ${MAX_FILE_BYTES} bytes.`, relative);

    const bytes = await handle.readFile();
    const info = await describeFile(relative, absolute, stats);
    if (encoding === 'base64') return { ...info, dataBase64: bytes.toString('base64') };

    try {
      return { ...info, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      throw new InvalidArgumentError(`The file '${relative}' is not valid UTF-8 text; read it with { encoding: 'base64' }.`, [{ path: 'options.encoding', message: 'the file is not UTF-8 text' }]);
    }
  } finally {
    await handle.close();
  }
}

async function writeFile(scope: HostCallScope, relative: string, input: z.output<typeof writeInput>): Promise<FileInfo> {
  const bytes = input.text !== undefined ? Buffer.from(input.text, 'utf8') : Buffer.from(input.dataBase64 ?? '', 'base64');
  if (bytes.length > MAX_FILE_BYTES) {
    throw filesError('file_too_large', 413, `The content for '${relative}' is ${bytes.length} bytes; a file may hold at most ${MAX_FILE_BYTES} bytes.`, relative);
  }

  const absolute = await resolveInside(scope, relative, { create: true });
  const existing = await fs.lstat(absolute).catch(() => null);
  if (existing?.isDirectory()) throw filesError('not_a_file', 409, `The path '${relative}' is a folder; choose a file name inside it.`, relative);

  // Write a temporary file beside the target and rename it over the target, so readers never
  // see half a file. A rename replaces a link at the target rather than following it.
  const temporary = path.join(path.dirname(absolute), `${RESERVED_PREFIX}tmp-${randomBytes(8).toString('hex')}`);
  try {
    await fs.writeFile(temporary, bytes, { flag: 'wx', mode: 0o600 });
    await fs.rename(temporary, absolute);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }

  if (input.mimeType !== undefined) await fs.writeFile(metadataPath(absolute), JSON.stringify({ mimeType: input.mimeType }), { mode: 0o600 });
  else await fs.rm(metadataPath(absolute), { force: true });

  return describeFile(relative, absolute, await fs.lstat(absolute));
}

/** Collects the relative paths of the files under `folder`, skipping links and the kernel's own files. */
async function collectFiles(folder: string, relativeFolder: string, into: Array<{ relative: string; absolute: string; stats: Stats }>): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw error;
  }

  for (const entry of entries) {
    if (entry.name.startsWith(RESERVED_PREFIX)) continue;
    const absolute = path.join(folder, entry.name);
    const relative = relativeFolder === '' ? entry.name : `${relativeFolder}/${entry.name}`;
    if (entry.isDirectory()) await collectFiles(absolute, relative, into);
    else if (entry.isFile()) into.push({ relative, absolute, stats: await fs.lstat(absolute) });
  }
}

async function listFiles(scope: HostCallScope, options: z.output<typeof listOptions>) {
  // Start the walk at the deepest folder the prefix names, so a narrow prefix reads little.
  const prefixFolder = options.prefix.includes('/') ? options.prefix.slice(0, options.prefix.lastIndexOf('/')) : '';
  const segments = prefixFolder === '' ? [] : prefixFolder.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith(RESERVED_PREFIX) || /[\\\u0000-\u001f\u007f]/.test(segment))) {
    return { data: [], nextCursor: null };
  }

  const start = prefixFolder === '' ? callerRoot(scope) : await resolveInside(scope, prefixFolder, { create: false });
  const found: Array<{ relative: string; absolute: string; stats: Stats }> = [];
  const startStats = await fs.lstat(start).catch(() => null);
  if (startStats?.isDirectory()) await collectFiles(start, prefixFolder, found);

  const matching = found
    .filter((file) => file.relative.startsWith(options.prefix) && (options.cursor === undefined || file.relative > options.cursor))
    .sort((a, b) => compareCodeUnits(a.relative, b.relative));
  const page = matching.slice(0, options.limit);

  const data: FileInfo[] = [];
  for (const file of page) data.push(await describeFile(file.relative, file.absolute, file.stats));
  return { data, nextCursor: matching.length > page.length ? page[page.length - 1]!.relative : null };
}

/** Orders strings by UTF-16 code units, the order `>` uses for the list cursor. */
function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Deletes a file and then any folders the deletion left empty; returns whether the file existed. */
async function deleteFile(scope: HostCallScope, relative: string): Promise<boolean> {
  const absolute = await resolveInside(scope, relative, { create: false });
  const stats = await fs.lstat(absolute).catch(() => null);
  if (stats === null) return false;
  if (stats.isDirectory()) throw filesError('not_a_file', 409, `The path '${relative}' is a folder; delete the files in it one by one.`, relative);

  await fs.unlink(absolute);
  await fs.rm(metadataPath(absolute), { force: true });

  const root = callerRoot(scope);
  for (let folder = path.dirname(absolute); folder !== root && folder.startsWith(root); folder = path.dirname(folder)) {
    try {
      await fs.rmdir(folder);
    } catch {
      break;
    }
  }
  return true;
}

/**
 * Files of an extension under `<dataDir>/extension-files/<extensionId>/<workspaceId or _global>/`.
 * Paths are relative with `/` separators; `..`, absolute paths and symbolic links are rejected.
 * A file contains at most `MAX_FILE_BYTES`. Content travels as base64 or as UTF-8 text.
 */
// NOTE: there is no total quota per extension yet; only the size of each file is capped.
export const fileMethods: HostMethod[] = [
  defineHostMethod({
    name: 'files.read',
    permission: 'files:read',
    parameters: { path: filePath, options: readOptions },
    run: ({ path: relative, options }, scope) => readFile(scope, relative, options.encoding),
  }),
  defineHostMethod({
    name: 'files.write',
    permission: 'files:write',
    parameters: { path: filePath, file: writeInput },
    run: ({ path: relative, file }, scope) => writeFile(scope, relative, file),
  }),
  defineHostMethod({
    name: 'files.list',
    permission: 'files:read',
    parameters: { options: listOptions },
    run: ({ options }, scope) => listFiles(scope, options),
  }),
  defineHostMethod({
    name: 'files.delete',
    permission: 'files:write',
    parameters: { path: filePath },
    run: ({ path: relative }, scope) => deleteFile(scope, relative),
  }),
];
