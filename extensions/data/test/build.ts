import { fileURLToPath } from 'node:url';
import { buildExtension as buildFolder } from '../../control/test/build.js';

/** Folder of this extension, holding mify.extension.json. */
export const EXTENSION_FOLDER = fileURLToPath(new URL('..', import.meta.url));

/** Bundles this extension's src/index.ts into dist/index.js, as `pnpm run build` does. */
export function buildExtension(): Promise<void> {
  return buildFolder(EXTENSION_FOLDER);
}
