export { createIsolateRuntime, DEFAULT_HOST_METHODS, type IsolateRuntime, type IsolateRuntimeOptions, type IsolateRuntimeStats } from './isolate-runtime.js';
export { ExtensionRuntimeDisposedError, SandboxError } from './errors.js';
export { FailureWindow, type FailureWindowOptions } from './failure-window.js';
export type { IsolatePoolStats } from './isolate-pool.js';
export * from './limits.js';
