import { MifyError } from '../../errors.js';

/**
 * The channel from a sandbox back to the kernel. Every call goes through the
 * host API, which checks the caller's permissions before doing anything.
 * Arguments and results are plain JSON values.
 */
export interface HostBridge {
  call(method: string, args: unknown[]): Promise<unknown>;
  /** Releases what the invocation left open, such as streamed responses; called once the invocation ends. */
  dispose?(): void;
}

/** What to run inside an extension: one of its contributions and the JSON input for it. */
export interface InvokeRequest {
  /** `exporter` calls the `export` function of an importer contribution. */
  kind: 'node' | 'route' | 'trigger' | 'importer' | 'exporter' | 'provider' | 'hook';
  /** Contribution name as declared in the manifest, e.g. the node type `mify.data.set`. */
  name: string;
  input: unknown;
}

export interface SandboxLimits {
  /** Heap limit of one isolate, or the maximum linear memory of one WASM instance, in MiB. */
  memoryLimitMb: number;
  /** CPU time (isolate) or wall time (WASM) one invocation may use, in milliseconds. */
  timeoutMs: number;
}

/** A loaded extension's sandbox. Created by a runtime, disposed by the extension host. */
export interface ExtensionRuntime {
  readonly extensionId: string;
  readonly kind: 'isolate' | 'wasm';
  invoke(request: InvokeRequest, host: HostBridge): Promise<unknown>;
  dispose(): Promise<void>;
}

export type ExtensionFailureReason = 'threw' | 'timeout' | 'memory' | 'crashed' | 'invalid_output' | 'not_found';

/** A failed invocation. The message always names the extension. */
export class ExtensionCallError extends MifyError {
  readonly extensionId: string;
  readonly reason: ExtensionFailureReason;

  constructor(extensionId: string, reason: ExtensionFailureReason, message: string, options?: ErrorOptions) {
    super(`extension_${reason}`, reason === 'not_found' ? 404 : 502, `Extension '${extensionId}' ${message}`, { extensionId, reason }, options);
    this.name = 'ExtensionCallError';
    this.extensionId = extensionId;
    this.reason = reason;
  }
}
