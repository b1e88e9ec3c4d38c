import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MifyError, NotFoundError, ValidationError } from '../../errors.js';
import { EXTENSION_ID_PATTERN } from './collection-indexes.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum size of one file, in bytes. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Maximum entries one `files.list` returns. */
export const MAX_LIST_ENTRIES = 1_000;

/** Folder under the kernel's data folder that holds every extension's files. */
export const EXTENSION_FILES_FOLDER = 'extension-files';

/** Folder name for files of the extension itself, outside any workspace; workspace ids never start with `_`. */
const GLOBAL_FOLDER = '_global';

/** Prefix of the temporary files of an atomic write; hidden from `list` and rejected in paths. */
const TEMP_PREFIX = '.mify-tmp-';

const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * A relative path inside the extension's folder. Segments are separated by `/`; `.`, `..`,
 * empty segments, backslashes and control characters are rejected, so a path cannot leave
 * the folder by its text. Symbolic links are rejected separately, on disk.
 */
const relativePath = z
  .string()
  .max(1_024)
  .refine((text) => !text.startsWith('/'), 'must be relative, without a leading "/"')
  .refine((text) => !/[\\\u0000-\u001f\u007f]/.test(text), 'must not contain backslashes or control characters')
  .refine((text) => text === '' || text.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'), 'must not contain empty, "." or ".." segments')
  .refine((text) => text.split('/').every((segment) => Buffer.byteLength(segment) <= 255), 'has a segment longer than 255 bytes')
  .refine((text) => text.split('/').every((segment) => !segment.startsWith(TEMP_PREFIX)), `must not contain segments starting with "${TEMP_PREFIX}"`);

const filePath = relativePath.refine((text) => text !== '', 'must name a file');
const encoding = z.enum(['utf8', 'base64']).default('utf8');

function filesError(code: string, status: number, message: string, filePathText: string): MifyError {
  return new MifyError(code, status, message, { path: filePathText });
}

/** Returns the extension's folder for the caller's workspace, e.g. `<dataDir>/extension-files/acme.notes/ws_1`. */
export function extensionFilesRoot(dataDir: string, extensionId: string, workspaceId: string | null): string {
  if (!EXTENSION_ID_PATTERN.test(extensionId)) throw new Error(`extension id ${JSON.stringify(extensionId)} cannot be used as a folder name`);
  if (workspaceId !== null && !WORKSPACE_ID_PATTERN.test(workspaceId)) throw new Error(`workspace id ${JSON.stringify(workspaceId)} cannot be used as a folder name`);
  return path.join(dataDir, EXTENSION_FILES_FOLDER, extensionId, workspaceId ?? GLOBAL_FOLDER);
}

/**
 * Resolves `relative` under the caller's root after checking, component by component with
 * `lstat`, that no existing part of the path (from `extension-files/` down) is a symbolic
 * link. With `create`, missing folders are made on the way.
 *
 * @returns the absolute path; the last component may not exist
 */
async function resolveInside(scope: HostCallScope, relative: string, options: { create: boolean }): Promise<string> {
  const { dataDir, extensionId, workspaceId } = scope.context;
  const base = path.join(dataDir, EXTENSION_FILES_FOLDER);
  const root = extensionFilesRoot(dataDir, extensionId, workspaceId);
  const components = [...path.relative(base, root).split(path.sep), ...(relative === '' ? [] : relative.split('/'))];
  const last = components.length - 1;

  if (options.create) await fs.mkdir(base, { recursive: true });
  let current = base;
  for (const [index, component] of components.entries()) {
    current = path.join(current, component);

    let stats;
    try {
      stats = await fs.lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!options.create || index === last) return path.join(base, ...components);
      await fs.mkdir(current);
      continue;
    }

    if (stats.isSymbolicLink()) {
      throw filesError('file_symlink_rejected', 403, `The path '${relative}' goes through a symbolic link, which extension files may not use. An operator must replace the link with a real file or folder.`, relative);
    }
    if (index < last && !stats.isDirectory()) {
      throw filesError('file_not_a_folder', 409, `The path '${relative}' goes through '${component}', which is a file, not a folder.`, relative);
    }
  }
  return current;
}

async function readFile(scope: HostCallScope, relative: string, fileEncoding: 'utf8' | 'base64') {
  const absolute = await resolveInside(scope, relative, { create: false });

  let handle;
  try {
    // O_NOFOLLOW: a link put in place after the check above is still not followed.
    handle = await fs.open(absolute, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError('File', relative);
    if (code === 'ELOOP') throw filesError('file_symlink_rejected', 403, `The path '${relative}' is a symbolic link, which extension files may not use.`, relative);
    throw error;
  }

  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw filesError('file_not_a_file', 409, `The path '${relative}' is a folder; use files.list to read its entries.`, relative);
    if (stats.size > MAX_FILE_BYTES) throw filesError('file_too_large', 413, `The file '${relative}' is ${stats.size} bytes; files.read returns at most ${MAX_FILE_BYTES} bytes.`, relative);

    const bytes = await handle.readFile();
    if (fileEncoding === 'base64') return { path: relative, encoding: fileEncoding, size: bytes.length, content: bytes.toString('base64') };

    let content: string;
    try {
      content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ValidationError(`The file '${relative}' is not valid UTF-8 text; read it with { encoding: 'base64' }.`, [{ path: 'options.encoding', message: 'the file is binary' }]);
    }
    return { path: relative, encoding: fileEncoding, size: bytes.length, content };
  } finally {
    await handle.close();
  }
}

async function writeFile(scope: HostCallScope, relative: string, content: string, fileEncoding: 'utf8' | 'base64') {
  if (fileEncoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) {
    throw new ValidationError(`The content for '${relative}' is not valid base64.`, [{ path: 'content', message: 'expected base64 (A-Z, a-z, 0-9, +, /, = padding)' }]);
  }
  const bytes = Buffer.from(content, fileEncoding);
  if (bytes.length > MAX_FILE_BYTES) {
    throw filesError('file_too_large', 413, `The content for '${relative}' is ${bytes.length} bytes; a file may hold at most ${MAX_FILE_BYTES} bytes.`, relative);
  }

  const absolute = await resolveInside(scope, relative, { create: true });
  const existing = await fs.lstat(absolute).catch(() => null);
  if (existing?.isDirectory()) throw filesError('file_not_a_file', 409, `The path '${relative}' is a folder; choose a file name inside it.`, relative);

  // Write a temporary file beside the target and rename it, so readers never see half a file.
  const temporary = path.join(path.dirname(absolute), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  try {
    await fs.writeFile(temporary, bytes, { flag: 'wx', mode: 0o600 });
    await fs.rename(temporary, absolute);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  return { path: relative, size: bytes.length };
}

async function listFolder(scope: HostCallScope, relative: string) {
  const absolute = await resolveInside(scope, relative, { create: false });

  let entries;
  try {
    entries = await fs.readdir(absolute, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && relative === '') return { entries: [], truncated: false };
    if (code === 'ENOENT') throw new NotFoundError('Folder', relative);
    if (code === 'ENOTDIR') throw filesError('file_not_a_folder', 409, `The path '${relative}' is a file; use files.read to read it.`, relative);
    throw error;
  }

  // Symbolic links and other special files are left out: extension files never use them.
  const visible = entries
    .filter((entry) => (entry.isFile() || entry.isDirectory()) && !entry.name.startsWith(TEMP_PREFIX))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = visible.slice(0, MAX_LIST_ENTRIES);

  const listed = [];
  for (const entry of page) {
    const stats = await fs.lstat(path.join(absolute, entry.name));
    listed.push({
      path: relative === '' ? entry.name : `${relative}/${entry.name}`,
      type: entry.isDirectory() ? 'folder' : 'file',
      size: entry.isDirectory() ? 0 : stats.size,
      modifiedAt: stats.mtime.toISOString(),
    });
  }
  return { entries: listed, truncated: visible.length > page.length };
}

async function deleteEntry(scope: HostCallScope, relative: string, recursive: boolean) {
  const absolute = await resolveInside(scope, relative, { create: false });
  const stats = await fs.lstat(absolute).catch(() => null);
  if (stats === null) return { deleted: false };

  if (stats.isDirectory()) {
    if (recursive) {
      await fs.rm(absolute, { recursive: true });
      return { deleted: true };
    }
    try {
      await fs.rmdir(absolute);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw error;
      throw filesError('file_folder_not_empty', 409, `The folder '${relative}' is not empty; pass { recursive: true } to delete it with its contents.`, relative);
    }
    return { deleted: true };
  }

  await fs.unlink(absolute);
  return { deleted: true };
}

/**
 * Files of an extension under `<dataDir>/extension-files/<extensionId>/<workspaceId or _global>/`.
 * Paths are relative with `/` separators; `..`, absolute paths and symbolic links are rejected.
 * A file holds at most `MAX_FILE_BYTES`; content travels as UTF-8 text or base64.
 */
// NOTE: there is no total quota per extension yet; only the size of each file is capped.
export const fileMethods: HostMethod[] = [
  defineHostMethod({
    name: 'files.read',
    permission: 'files:read',
    parameters: { path: filePath, options: z.object({ encoding }).strict().default({ encoding: 'utf8' }) },
    run: ({ path: relative, options }, scope) => readFile(scope, relative, options.encoding),
  }),
  defineHostMethod({
    name: 'files.write',
    permission: 'files:write',
    // Base64 makes content about 4/3 of the file size, so this cap admits a full-size file in either encoding.
    parameters: { path: filePath, content: z.string().max(Math.ceil((MAX_FILE_BYTES * 4) / 3) + 4), options: z.object({ encoding }).strict().default({ encoding: 'utf8' }) },
    run: ({ path: relative, content, options }, scope) => writeFile(scope, relative, content, options.encoding),
  }),
  defineHostMethod({
    name: 'files.list',
    permission: 'files:read',
    parameters: { path: relativePath.default('') },
    run: ({ path: relative }, scope) => listFolder(scope, relative),
  }),
  defineHostMethod({
    name: 'files.delete',
    permission: 'files:write',
    parameters: { path: filePath, options: z.object({ recursive: z.boolean().default(false) }).strict().default({ recursive: false }) },
    run: ({ path: relative, options }, scope) => deleteEntry(scope, relative, options.recursive),
  }),
];
