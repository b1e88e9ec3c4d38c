import { MifyError } from '../../../errors.js';

/**
 * Raised while loading a WASM extension whose module cannot run under the
 * kernel's rules. The module may be invalid WebAssembly, declare linear memory
 * without a maximum or above the cap, lack an export the manifest names, or fail
 * to instantiate. The message names the extension and what to change.
 */
export class WasmModuleRejectedError extends MifyError {
  readonly extensionId: string;

  constructor(extensionId: string, message: string, options?: ErrorOptions) {
    super('wasm_module_rejected', 422, `Extension '${extensionId}': ${message}`, { extensionId }, options);
    this.name = 'WasmModuleRejectedError';
    this.extensionId = extensionId;
  }
}
