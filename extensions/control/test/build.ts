import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Folder of this extension, holding mify.extension.json. */
export const EXTENSION_FOLDER = fileURLToPath(new URL('..', import.meta.url));

/** Bundles src/index.ts into dist/index.js with the options of `pnpm run build`, so tests run the current source. */
export async function buildExtension(folder: string = EXTENSION_FOLDER): Promise<void> {
  await build({
    entryPoints: [`${folder}/src/index.ts`],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile: `${folder}/dist/index.js`,
    logLevel: 'warning',
  });
}
