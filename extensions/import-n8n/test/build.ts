import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Folder of the repository's extensions. */
const EXTENSIONS = fileURLToPath(new URL('../..', import.meta.url));

/** Folder of the public workflow exports (n8n, flowise, dify, langflow) the import tests read; MIFY_IMPORT_FIXTURES overrides it. */
export const FIXTURES = process.env.MIFY_IMPORT_FIXTURES ?? fileURLToPath(new URL('../../../tests/fixtures/imports', import.meta.url));

/**
 * Bundles extensions with the options of `pnpm run build`, so tests run the current source.
 * The importer's graphs use nodes of mify.control and mify.data, so those are built too.
 */
export async function buildExtensions(names: string[] = ['import-n8n', 'control', 'data', 'io']): Promise<void> {
  for (const name of names) {
    await build({
      entryPoints: [`${EXTENSIONS}/${name}/src/index.ts`],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile: `${EXTENSIONS}/${name}/dist/index.js`,
      logLevel: 'warning',
    });
  }
}
