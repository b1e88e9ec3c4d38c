// Changes the client that `prisma generate` writes so that it loads the query compiler's
// WebAssembly through kernel/src/storage/query-compiler-wasm.ts, which does not keep the module's
// base64 text in memory (about 9 MiB of an idle kernel's heap).
import fs from 'node:fs';
import path from 'node:path';

const GENERATED_LOADER = `  getQueryCompilerWasmModule: async () => {
    const { wasm } = await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs")
    return await decodeBase64AsWasm(wasm)
  },`;

const KERNEL_LOADER = `  // Changed by scripts/prisma-client-patch.mjs: loads the module without keeping its base64 text.
  getQueryCompilerWasmModule: async () => (await import("../../../storage/query-compiler-wasm.js")).loadQueryCompilerWasm(),`;

/** Patches `internal/class.ts` under `clientDir`; throws when the generated code has changed shape. */
export function patchPrismaClient(clientDir) {
  const file = path.join(clientDir, 'internal', 'class.ts');
  const source = fs.readFileSync(file, 'utf8');
  if (source.includes(KERNEL_LOADER)) return false;
  if (!source.includes(GENERATED_LOADER)) {
    throw new Error(
      `${file} no longer loads the query compiler the way scripts/prisma-client-patch.mjs expects. ` +
        'A Prisma upgrade probably changed the generated client: update GENERATED_LOADER in that script.',
    );
  }
  fs.writeFileSync(file, source.replace(GENERATED_LOADER, KERNEL_LOADER));
  return true;
}
