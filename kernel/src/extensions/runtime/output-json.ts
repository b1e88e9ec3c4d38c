/**
 * The JSON text a sandbox output was parsed from. Sandboxes hand their outputs to the kernel
 * as JSON, so a consumer that needs the output's JSON size or a digest of it can take them
 * from this text instead of serialising the value again.
 */
export interface OutputJson {
  json: string;
  /**
   * True when `JSON.stringify` wrote the text, as the isolate sandbox does, so that
   * `JSON.stringify` of the parsed value gives the same text back. Text from a WebAssembly
   * plugin may have other spacing, number forms or key orders, and is only a size bound.
   */
  stringified: boolean;
}

/** Output texts keyed by the parsed value. The node runner takes each text right after the call, which removes its entry. */
const outputJson = new WeakMap<object, OutputJson>();

/** Remembers that `value` was parsed from `json`, and returns `value`. */
export function withOutputJson<T>(value: T, json: string, options: { stringified: boolean }): T {
  if (typeof value === 'object' && value !== null) outputJson.set(value, { json, stringified: options.stringified });
  return value;
}

/** Returns the JSON text `value` was parsed from, if a sandbox returned it, and drops the entry. */
export function takeOutputJson(value: unknown): OutputJson | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = outputJson.get(value);
  if (entry !== undefined) outputJson.delete(value);
  return entry;
}
