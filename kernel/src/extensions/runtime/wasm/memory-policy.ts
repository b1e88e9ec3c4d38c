import { WasmModuleRejectedError } from './errors.js';
import { readMemoryDeclarations, WASM_PAGE_BYTES, WasmBinaryReadError, type MemoryDeclaration } from './module-memory.js';

/**
 * Largest linear memory one WASM extension may declare, in MiB, whatever its
 * manifest requests. Every extension runs in its own worker thread and a
 * WebAssembly memory can grow to its declared maximum without asking the host,
 * so this bounds what one extension can take from the kernel process.
 */
export const KERNEL_WASM_MEMORY_CAP_MB = 256;

const BYTES_PER_MB = 1024 * 1024;

/** Converts MiB to whole 64 KiB WebAssembly pages, rounding down. */
export function megabytesToPages(megabytes: number): number {
  return Math.floor((megabytes * BYTES_PER_MB) / WASM_PAGE_BYTES);
}

function describe(memory: MemoryDeclaration): string {
  return memory.source === 'imported' ? `imported memory '${memory.label}'` : memory.label;
}

/**
 * Checks that every linear memory of the module declares a maximum no larger than
 * `memoryLimitMb` (and `KERNEL_WASM_MEMORY_CAP_MB`). Throws `WasmModuleRejectedError`
 * naming the extension, the declared pages and the cap otherwise; returns the
 * declarations so the caller can log them.
 *
 * @example
 * enforceMemoryLimit('mify.sample-wasm', bytes, 16); // throws if the module may grow past 256 pages
 */
export function enforceMemoryLimit(extensionId: string, bytes: Uint8Array, memoryLimitMb: number): MemoryDeclaration[] {
  let memories: MemoryDeclaration[];
  try {
    memories = readMemoryDeclarations(bytes);
  } catch (error) {
    if (!(error instanceof WasmBinaryReadError)) throw error;
    throw new WasmModuleRejectedError(extensionId, `its module's memory declarations could not be read: ${error.message}.`, { cause: error });
  }

  const capMb = Math.min(memoryLimitMb, KERNEL_WASM_MEMORY_CAP_MB);
  const capPages = megabytesToPages(capMb);
  const capSource = memoryLimitMb <= KERNEL_WASM_MEMORY_CAP_MB ? 'limits.memoryLimitMb in the manifest' : 'the kernel cap';

  for (const memory of memories) {
    if (memory.maximumPages === undefined) {
      throw new WasmModuleRejectedError(
        extensionId,
        `${describe(memory)} declares ${memory.initialPages} initial pages and no maximum; ` +
          `the cap is ${capPages} pages (${capMb} MiB, from ${capSource}). ` +
          `Rebuild the module with a maximum memory of at most ${capPages} pages (for AssemblyScript: --maximumMemory ${capPages}).`,
      );
    }

    if (memory.maximumPages > capPages) {
      throw new WasmModuleRejectedError(
        extensionId,
        `${describe(memory)} declares a maximum of ${memory.maximumPages} pages ` +
          `(${(memory.maximumPages * WASM_PAGE_BYTES) / BYTES_PER_MB} MiB), above the cap of ${capPages} pages (${capMb} MiB, from ${capSource}). ` +
          `Lower the module's maximum memory or raise limits.memoryLimitMb (at most ${KERNEL_WASM_MEMORY_CAP_MB}).`,
      );
    }
  }

  return memories;
}
