import { MifyError } from '../../../errors.js';

/**
 * The error an extension threw inside its isolate, rebuilt in the kernel as the `cause` of
 * an `ExtensionCallError`. Its `stack` holds only frames of the extension bundle, never
 * kernel frames.
 */
export class SandboxError extends Error {
  /** Name of the thrown error inside the sandbox, e.g. `TypeError`. */
  readonly sandboxName: string;
  /** `code` of the thrown error, e.g. from the SDK's ExtensionError, when it had one. */
  code: string | undefined;

  constructor(sandboxName: string, message: string, sandboxStack: string) {
    super(message);
    this.name = 'SandboxError';
    this.sandboxName = sandboxName;
    this.stack = sandboxStack;
  }
}

/** Raised by `invoke` after `dispose()`, and for calls still queued or running at that moment. */
export class ExtensionRuntimeDisposedError extends MifyError {
  readonly extensionId: string;

  constructor(extensionId: string) {
    super(
      'extension_runtime_disposed',
      503,
      `Extension '${extensionId}' cannot run: its isolate runtime was disposed. Create a new runtime (re-enable the extension) before invoking it.`,
      { extensionId },
    );
    this.name = 'ExtensionRuntimeDisposedError';
    this.extensionId = extensionId;
  }
}
