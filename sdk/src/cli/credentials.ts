import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PluginCliError } from './io.js';

/** Contents of the credentials file that `mify-plugin login` writes: a token per registry URL and the default registry. */
export interface StoredCredentials {
  defaultRegistry?: string;
  registries: Record<string, { token: string; publisher: string }>;
}

/**
 * Path of the credentials file: `$MIFY_CONFIG_DIR/credentials.json`, else
 * `$XDG_CONFIG_HOME/mify/credentials.json`, else `~/.config/mify/credentials.json`.
 */
export function credentialsPath(env: Record<string, string | undefined>): string {
  if (env.MIFY_CONFIG_DIR) return path.join(env.MIFY_CONFIG_DIR, 'credentials.json');
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(configHome, 'mify', 'credentials.json');
}

export function readCredentials(env: Record<string, string | undefined>): StoredCredentials {
  const file = credentialsPath(env);
  if (!fs.existsSync(file)) return { registries: {} };
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredCredentials;
    return { ...parsed, registries: parsed.registries ?? {} };
  } catch (error) {
    throw new PluginCliError(`${file} is not valid JSON (${(error as Error).message}); delete it and run \`mify-plugin login\` again.`);
  }
}

/** Writes the credentials file readable by its owner only (mode 0600), because it contains tokens. */
export function writeCredentials(env: Record<string, string | undefined>, credentials: StoredCredentials): string {
  const file = credentialsPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/** Normalises a registry URL: http(s) only, without a trailing slash. */
export function normaliseRegistryUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PluginCliError(`Registry URL ${JSON.stringify(raw)} is not a valid URL; use one such as https://registry.example.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PluginCliError(`Registry URL ${raw} must use http or https.`);
  return url.href.replace(/\/+$/, '');
}

/** Picks the registry of a command: the --registry option, MIFY_REGISTRY_URL, or the one logged in to last. Empty values count as unset. */
export function chooseRegistry(option: string | undefined, env: Record<string, string | undefined>): string {
  const raw = option || env.MIFY_REGISTRY_URL || readCredentials(env).defaultRegistry;
  if (!raw) throw new PluginCliError('No registry given: pass --registry URL, set MIFY_REGISTRY_URL, or run `mify-plugin login --registry URL` first.');
  return normaliseRegistryUrl(raw);
}

/** Returns the token for a registry: MIFY_REGISTRY_TOKEN, else the stored one. */
export function tokenFor(registry: string, env: Record<string, string | undefined>): string {
  const token = env.MIFY_REGISTRY_TOKEN || readCredentials(env).registries[registry]?.token;
  if (!token) throw new PluginCliError(`You are not logged in to ${registry}: run \`mify-plugin login --registry ${registry} --token TOKEN\` (the registry operator issues tokens), or set MIFY_REGISTRY_TOKEN.`);
  return token;
}
