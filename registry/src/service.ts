import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database, Logger } from '@mify/kernel';
import { validateManifest, type ExtensionManifest } from '@mify/sdk';
import { integrityOf, packExtension, PackageFormatError, unpackAndVerify } from '@mify/sdk/package';
import semver from 'semver';
import { RegistryError } from './errors.js';
import type { SigningKey } from './keys.js';

/** Largest package the registry accepts by default, compressed, in bytes (10 MiB). */
export const DEFAULT_MAX_PACKAGE_BYTES = 10 * 1024 * 1024;
/** Most results of one search page. */
export const MAX_SEARCH_LIMIT = 100;
const TOKEN_PREFIX = 'mifyreg_';

export interface RegistryOptions {
  db: Database;
  /** Folder of the file store that keeps the signed tarballs. */
  storeDir: string;
  /** Key that signs published packages; null serves them unsigned (development registries only). */
  signingKey: SigningKey | null;
  /** Token that may create publisher tokens; unset disables `POST /api/registry/tokens`. */
  adminToken?: string | undefined;
  /** Largest accepted upload, compressed, in bytes (default {@link DEFAULT_MAX_PACKAGE_BYTES}). */
  maxPackageBytes?: number;
  logger: Logger;
}

/** One published version as the API returns it. */
export interface VersionInfo {
  id: string;
  version: string;
  enginesMify: string;
  yanked: boolean;
  yankReason: string | null;
  publishedAt: string;
  publishedBy: string;
  /** Subresource Integrity of the tarball, `sha512-<base64>`. */
  integrity: string;
  sizeBytes: number;
  /** Fingerprint of the key that signed the tarball; null for unsigned packages. */
  signerFingerprint: string | null;
  tarballUrl: string;
}

export interface PackageInfo {
  id: string;
  name: string;
  description: string;
  owner: string;
  /** Highest version that is not yanked, or null when all are. */
  latestVersion: string | null;
  versions: VersionInfo[];
}

interface VersionRow {
  package_id: string;
  version: string;
  engines_mify: string;
  tarball_path: string;
  size_bytes: number;
  integrity: string;
  signer_fingerprint: string | null;
  yanked: boolean;
  yank_reason: string | null;
  published_by: string;
  published_at: Date | string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toVersionInfo(row: VersionRow): VersionInfo {
  return {
    id: row.package_id,
    version: row.version,
    enginesMify: row.engines_mify,
    yanked: row.yanked,
    yankReason: row.yank_reason,
    publishedAt: new Date(row.published_at).toISOString(),
    publishedBy: row.published_by,
    integrity: row.integrity,
    sizeBytes: row.size_bytes,
    signerFingerprint: row.signer_fingerprint,
    tarballUrl: `/api/registry/packages/${encodeURIComponent(row.package_id)}/versions/${encodeURIComponent(row.version)}/tarball`,
  };
}

/** Escapes `%`, `_` and `\` for a `like` pattern. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The registry's operations: publishing (verify, sign, store), search, version
 * listings, semver resolution against the kernel version, yanking and downloads.
 */
export class Registry {
  readonly maxPackageBytes: number;
  /** Logger of the registry component. */
  readonly log: Logger;

  constructor(private readonly options: RegistryOptions) {
    this.maxPackageBytes = options.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
    this.log = options.logger.child({ component: 'registry' });
    fs.mkdirSync(options.storeDir, { recursive: true });
  }

  get signingKey(): SigningKey | null {
    return this.options.signingKey;
  }

  /** Creates a publisher token when `adminToken` matches; the token is returned once and stored hashed. */
  async createToken(adminToken: string | null, publisher: string): Promise<{ id: string; publisher: string; token: string }> {
    if (!this.options.adminToken) throw new RegistryError('tokens_disabled', 403, 'This registry has no admin token, so it cannot create publisher tokens over HTTP. Start it with MIFY_REGISTRY_ADMIN_TOKEN set, or use `mify-registry token create`.');
    if (!adminToken || !sameSecret(adminToken, this.options.adminToken)) throw new RegistryError('unauthorized', 401, 'Creating a publisher token needs the registry admin token (MIFY_REGISTRY_ADMIN_TOKEN) in the X-Mify-Registry-Token header.');
    return this.issueToken(publisher);
  }

  /** Creates a publisher token without HTTP, for the `mify-registry token create` command. */
  async issueToken(publisher: string): Promise<{ id: string; publisher: string; token: string }> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    await this.options.db.query('insert into registry_tokens (id, publisher, token_hash) values ($1, $2, $3)', [id, publisher, sha256(token)]);
    this.log.info({ tokenId: id, publisher }, 'publisher token created');
    return { id, publisher, token };
  }

  /** Returns the publisher of a valid, unrevoked token, or raises 401. */
  async authenticate(token: string | null): Promise<string> {
    if (!token) throw new RegistryError('unauthorized', 401, 'Publishing needs a registry token: run `mify-plugin login --registry URL --token TOKEN`, or send it in the X-Mify-Registry-Token header.');
    const [row] = await this.options.db.query<{ publisher: string }>('select publisher from registry_tokens where token_hash = $1 and revoked_at is null', [sha256(token)]);
    if (!row) throw new RegistryError('unauthorized', 401, 'The registry token is invalid or revoked. Ask the registry operator for a new one and run `mify-plugin login` again.');
    return row.publisher;
  }

  /**
   * Publishes a package: checks its size, checksums and manifest, signs it with the
   * registry key and stores it. The first publisher of an id owns it.
   */
  async publish(tarball: Uint8Array, publisher: string): Promise<VersionInfo> {
    if (tarball.byteLength > this.maxPackageBytes) throw this.tooLarge(tarball.byteLength);
    if (tarball.byteLength === 0) throw new RegistryError('invalid_package', 422, 'The request body is empty; send the package tarball (.tgz) that `mify-plugin build` writes.');

    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-registry-'));
    try {
      const upload = path.join(work, 'upload.tgz');
      fs.writeFileSync(upload, tarball);
      const verified = await unpackAndVerify(upload).catch((error: unknown) => {
        if (error instanceof PackageFormatError) throw new RegistryError('invalid_package', 422, error.message.replace(upload, 'the uploaded package'), error.files ? { files: error.files } : undefined);
        throw error;
      });
      try {
        const manifest = this.readManifest(verified.folder);
        return await this.store(manifest, verified.folder, publisher, work);
      } finally {
        fs.rmSync(verified.folder, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  tooLarge(bytes: number | null): RegistryError {
    const size = bytes === null ? 'larger than the limit' : `${bytes} bytes`;
    return new RegistryError('package_too_large', 413, `The package is ${size}; this registry accepts packages up to ${this.maxPackageBytes} bytes (MIFY_REGISTRY_MAX_PACKAGE_BYTES). Leave large assets out of dist/ or ask the operator to raise the limit.`, { limitBytes: this.maxPackageBytes });
  }

  private readManifest(folder: string): ExtensionManifest {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(folder, 'mify.extension.json'), 'utf8'));
    } catch (error) {
      throw new RegistryError('invalid_manifest', 422, `mify.extension.json in the package is not valid JSON: ${(error as Error).message}`);
    }
    const result = validateManifest(raw);
    if (!result.ok) {
      throw new RegistryError('invalid_manifest', 422, `mify.extension.json in the package is invalid:\n${result.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}\nRun \`mify-plugin validate\` and fix these before publishing.`, { errors: result.errors });
    }
    if (!fs.existsSync(path.join(folder, result.manifest.entry))) {
      throw new RegistryError('invalid_package', 422, `The package has no entry file ${result.manifest.entry}, which its manifest names; run \`mify-plugin build\` before publishing.`);
    }
    return result.manifest;
  }

  private async store(manifest: ExtensionManifest, folder: string, publisher: string, work: string): Promise<VersionInfo> {
    const { db } = this.options;
    const [existing] = await db.query<{ owner: string }>('select owner from registry_packages where id = $1', [manifest.id]);
    if (existing && existing.owner !== publisher) {
      throw new RegistryError('forbidden', 403, `Extension '${manifest.id}' belongs to publisher '${existing.owner}', not '${publisher}'. Publish under an id of your own, such as '${publisher}.${manifest.id.split('.').at(-1)}'.`);
    }
    if (await this.findVersion(manifest.id, manifest.version)) throw versionExists(manifest);

    const signed = path.join(work, 'signed.tgz');
    await packExtension(folder, signed, { exclude: [], ...(this.options.signingKey ? { privateKeyPem: this.options.signingKey.privateKeyPem } : {}) });
    const bytes = fs.readFileSync(signed);
    const relative = path.posix.join(manifest.id, `${manifest.id}-${manifest.version}.tgz`);
    const target = path.join(this.options.storeDir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(`${target}.partial`, bytes);

    try {
      await db.transaction(async (tx) => {
        await tx.query(
          `insert into registry_packages (id, owner, name, description) values ($1, $2, $3, $4)
           on conflict (id) do update set name = excluded.name, description = excluded.description, updated_at = now()`,
          [manifest.id, publisher, manifest.name, manifest.description],
        );
        await tx.query(
          `insert into registry_versions (package_id, version, engines_mify, manifest, tarball_path, size_bytes, integrity, signer_fingerprint, published_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [manifest.id, manifest.version, manifest.engines.mify, JSON.stringify(manifest), relative, bytes.byteLength, integrityOf(bytes), this.options.signingKey?.fingerprint ?? null, publisher],
        );
      });
    } catch (error) {
      fs.rmSync(`${target}.partial`, { force: true });
      // Two publishes of one version at once: the primary key lets only the first in.
      if (/duplicate key|unique constraint/i.test((error as Error).message)) throw versionExists(manifest);
      throw error;
    }
    fs.renameSync(`${target}.partial`, target);

    this.log.info({ extensionId: manifest.id, version: manifest.version, publisher, sizeBytes: bytes.byteLength }, 'package published');
    return toVersionInfo((await this.findVersion(manifest.id, manifest.version))!);
  }

  private async findVersion(id: string, version: string): Promise<VersionRow | undefined> {
    const [row] = await this.options.db.query<VersionRow>('select * from registry_versions where package_id = $1 and version = $2', [id, version]);
    return row;
  }

  private async versionRows(id: string): Promise<VersionRow[]> {
    const rows = await this.options.db.query<VersionRow>('select * from registry_versions where package_id = $1', [id]);
    return rows.sort((a, b) => semver.rcompare(a.version, b.version));
  }

  /** Returns a package with all its versions, newest first. */
  async getPackage(id: string): Promise<PackageInfo> {
    const [row] = await this.options.db.query<{ id: string; name: string; description: string; owner: string }>('select id, name, description, owner from registry_packages where id = $1', [id]);
    if (!row) throw packageNotFound(id);
    const versions = (await this.versionRows(id)).map(toVersionInfo);
    return { ...row, latestVersion: versions.find((v) => !v.yanked)?.version ?? null, versions };
  }

  /** Returns one version with its manifest. Yanked versions are returned too. */
  async getVersion(id: string, version: string): Promise<VersionInfo & { manifest: ExtensionManifest }> {
    const row = await this.findVersion(id, version);
    if (!row) {
      await this.getPackage(id);
      throw new RegistryError('version_not_found', 404, `Extension '${id}' has no version ${JSON.stringify(version)}. List its versions with GET /api/registry/packages/${id}.`);
    }
    const [manifestRow] = await this.options.db.query<{ manifest: ExtensionManifest | string }>('select manifest from registry_versions where package_id = $1 and version = $2', [id, version]);
    const manifest = typeof manifestRow!.manifest === 'string' ? (JSON.parse(manifestRow!.manifest) as ExtensionManifest) : manifestRow!.manifest;
    return { ...toVersionInfo(row), manifest };
  }

  /**
   * Picks the highest version that satisfies `range` and whose `engines.mify` accepts
   * `engine` (a kernel version; any kernel when omitted). Yanked versions are skipped,
   * except when `range` is one exact version.
   */
  async resolve(id: string, range: string, engine?: string): Promise<VersionInfo> {
    if (semver.validRange(range) === null) throw new RegistryError('invalid_range', 400, `${JSON.stringify(range)} is not a semver range; use a version (1.2.0) or a range such as ^1.0.0.`, { range });
    if (engine !== undefined && semver.valid(engine) === null) throw new RegistryError('invalid_engine', 400, `engine ${JSON.stringify(engine)} is not a semver version; pass the kernel version, such as 1.0.0.`, { engine });

    const rows = await this.versionRows(id);
    if (rows.length === 0) {
      await this.getPackage(id);
      throw new RegistryError('no_matching_version', 404, `Extension '${id}' has no published versions.`);
    }

    const exact = semver.valid(range) !== null;
    const inRange = rows.filter((row) => semver.satisfies(row.version, range) && (exact || !row.yanked));
    const fitsEngine = (row: VersionRow) => engine === undefined || semver.satisfies(engine, row.engines_mify, { includePrerelease: true });
    const match = inRange.find(fitsEngine);
    if (match) return toVersionInfo(match);

    const listing = rows.map((row) => `${row.version} (engines.mify ${row.engines_mify}${row.yanked ? ', yanked' : ''})`).join(', ');
    const reason = inRange.length > 0 ? `the versions in ${range} need another MIFY version than ${engine}` : `no ${exact ? '' : 'unyanked '}version is in ${range}`;
    throw new RegistryError('no_matching_version', 404, `No version of '${id}' can be installed: ${reason}. Published versions: ${listing}. Choose a range that includes a compatible version${inRange.length > 0 ? ', or upgrade the kernel' : ''}.`, {
      range,
      engine: engine ?? null,
      versions: rows.map((row) => ({ version: row.version, enginesMify: row.engines_mify, yanked: row.yanked })),
    });
  }

  /** Searches ids, names and descriptions, case-insensitively; `query` '' lists every package. */
  async search(query: string, limit: number, offset: number): Promise<{ total: number; items: Array<Omit<PackageInfo, 'versions'>> }> {
    const pattern = likePattern(query.trim());
    const where = `where $1 = '' or id ilike $2 escape '\\' or name ilike $2 escape '\\' or description ilike $2 escape '\\'`;
    const [count] = await this.options.db.query<{ total: number | string }>(`select count(*) as total from registry_packages ${where}`, [query.trim(), pattern]);
    const rows = await this.options.db.query<{ id: string; name: string; description: string; owner: string }>(
      `select id, name, description, owner from registry_packages ${where} order by id limit $3 offset $4`,
      [query.trim(), pattern, limit, offset],
    );

    const items = [];
    for (const row of rows) {
      const versions = await this.versionRows(row.id);
      items.push({ ...row, latestVersion: versions.find((v) => !v.yanked)?.version ?? null });
    }
    return { total: Number(count?.total ?? 0), items };
  }

  /** Marks a version yanked (or not): out of range resolution, still downloadable by exact version. */
  async setYanked(id: string, version: string, publisher: string, yanked: boolean, reason: string | null): Promise<VersionInfo> {
    const info = await this.getPackage(id);
    if (info.owner !== publisher) throw new RegistryError('forbidden', 403, `Only publisher '${info.owner}', which owns '${id}', can yank its versions.`);
    if (!(await this.findVersion(id, version))) throw new RegistryError('version_not_found', 404, `Extension '${id}' has no version ${JSON.stringify(version)}.`);
    await this.options.db.query('update registry_versions set yanked = $3, yank_reason = $4 where package_id = $1 and version = $2', [id, version, yanked, yanked ? reason : null]);
    this.log.info({ extensionId: id, version, publisher, yanked }, yanked ? 'version yanked' : 'version unyanked');
    return toVersionInfo((await this.findVersion(id, version))!);
  }

  /** Returns the stored tarball of a version, yanked or not. */
  async tarball(id: string, version: string): Promise<{ bytes: Buffer; integrity: string; fileName: string }> {
    const row = await this.findVersion(id, version);
    if (!row) await this.getVersion(id, version);
    const file = path.join(this.options.storeDir, row!.tarball_path);
    if (!fs.existsSync(file)) {
      this.log.error({ extensionId: id, version, file }, 'tarball missing from the file store');
      throw new RegistryError('tarball_missing', 500, `The tarball of ${id}@${version} is missing from the registry's file store; the operator must restore ${row!.tarball_path} from a backup.`);
    }
    return { bytes: fs.readFileSync(file), integrity: row!.integrity, fileName: path.posix.basename(row!.tarball_path) };
  }
}

function versionExists(manifest: ExtensionManifest): RegistryError {
  return new RegistryError('version_exists', 409, `${manifest.id}@${manifest.version} is already published, and published versions never change. Raise "version" in mify.extension.json (for example to ${semver.inc(manifest.version, 'patch')}) and publish again.`, {
    extensionId: manifest.id,
    version: manifest.version,
  });
}

function packageNotFound(id: string): RegistryError {
  return new RegistryError('package_not_found', 404, `Extension '${id}' is not in this registry. Check the id, or search with GET /api/registry/search?q=${encodeURIComponent(id.split('.').at(-1) ?? id)}.`, { id });
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
