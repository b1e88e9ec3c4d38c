/** Output, environment and working folder of one `mify-plugin` call; tests pass their own. */
export interface PluginCliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A mistake in how a command was called; printed with the command's usage. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the author can fix; printed without a stack trace. */
export class PluginCliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'PluginCliError';
  }
}
