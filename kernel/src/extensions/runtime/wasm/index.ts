export { createWasmRuntime, defaultExportName, type WasmExtensionRuntime, type WasmRuntimeOptions } from './runtime.js';
export { WasmModuleRejectedError } from './errors.js';
export { enforceMemoryLimit, KERNEL_WASM_MEMORY_CAP_MB, megabytesToPages } from './memory-policy.js';
export { readMemoryDeclarations, WasmBinaryReadError, WASM_PAGE_BYTES, type MemoryDeclaration } from './module-memory.js';
export type { WasmMemoryUsage } from './protocol.js';
