// Loads the WebAssembly module of Prisma's query compiler without keeping its text in memory.
//
// @prisma/client ships the module as a base64 string in a JavaScript module. Imported, that module
// stays loaded, so its 4.4 MiB source and the 4.4 MiB string constant stayed in the V8 heap. This
// loader reads the file as bytes, decodes the string between its quotes, and keeps no text. The
// generated client calls it after scripts/prisma-client-patch.mjs has changed it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { webAssembly, type CompiledWasmModule } from '../extensions/runtime/wasm/webassembly-api.js';

export const QUERY_COMPILER_WASM_MODULE = '@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs';

const QUOTE = 0x22;

/** Compiles the query compiler's module from the base64 file that @prisma/client ships. */
export async function loadQueryCompilerWasm(file = createRequire(import.meta.url).resolve(QUERY_COMPILER_WASM_MODULE)): Promise<CompiledWasmModule> {
  const source = await readFile(file);
  const start = source.indexOf(QUOTE);
  const end = source.lastIndexOf(QUOTE);
  if (start < 0 || end <= start) {
    throw new Error(`${file} does not contain the query compiler as a quoted base64 string. Check that @prisma/client matches the version the kernel pins.`);
  }
  const bytes = Buffer.from(source.toString('latin1', start + 1, end), 'base64');
  return webAssembly.compile(bytes);
}
