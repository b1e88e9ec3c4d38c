import { ExtensionError } from '@mify/sdk';

/** An error the caller can fix, with a stable code (`invalid_argument`, `not_found`, `unsupported`). */
export class RagError extends ExtensionError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'RagError';
  }
}
