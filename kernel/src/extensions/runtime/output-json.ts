/**
 * The JSON text each sandbox output was parsed from, keyed by the parsed value. Sandboxes hand
 * their outputs to the kernel as JSON, so a consumer that needs the output's JSON size or a
 * digest of it can take them from this text instead of serialising the value again. The node
 * runner takes the text of every node output at once, which also ends its life.
 */
const outputJson = new WeakMap<object, string>();

/** Remembers that `value` was parsed from `json`, and returns `value`. */
export function withOutputJson<T>(value: T, json: string): T {
  if (typeof value === 'object' && value !== null) outputJson.set(value, json);
  return value;
}

/** Returns the JSON text `value` was parsed from, if a sandbox returned it, and drops the entry. */
export function takeOutputJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const json = outputJson.get(value);
  if (json !== undefined) outputJson.delete(value);
  return json;
}
