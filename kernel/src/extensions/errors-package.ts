import { MifyError } from '../errors.js';

/** An extension package that is malformed, altered or not trusted. */
export class PackageError extends MifyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_extension_package', 422, message, details);
    this.name = 'PackageError';
  }
}
