/**
 * Types for the parts of the WebAssembly JavaScript API that this runtime uses.
 * The kernel compiles against lib ES2023 and @types/node 20, and neither
 * declares the `WebAssembly` global (TypeScript declares it only in its DOM and
 * web-worker libs), so this module types the global itself.
 */

/** A compiled `WebAssembly.Module`; opaque here, structured-cloneable to worker threads. */
export interface CompiledWasmModule {
  readonly [Symbol.toStringTag]: string;
}

export interface WasmExportDescriptor {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

export interface WasmImportDescriptor {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

/** A `WebAssembly.Memory` as far as the runtime reads it. */
export interface WasmLinearMemory {
  readonly buffer: ArrayBuffer;
}

interface WebAssemblyGlobal {
  compile(bytes: Uint8Array): Promise<CompiledWasmModule>;
  Module: {
    exports(module: CompiledWasmModule): WasmExportDescriptor[];
    imports(module: CompiledWasmModule): WasmImportDescriptor[];
  };
  Memory: abstract new (...args: never[]) => WasmLinearMemory;
}

/** The `WebAssembly` global of the current thread. */
export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyGlobal }).WebAssembly;
