/** Maximum length of a value shown inline in a diff or table cell, in characters; longer text is cut and ends with an ellipsis. */
export const INLINE_VALUE_MAX_CHARS = 200;

/**
 * Formats any JSON value for one line: strings in quotes, everything else as
 * compact JSON, cut at `maxChars`.
 */
export function formatInlineValue(value: unknown, maxChars = INLINE_VALUE_MAX_CHARS): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** Formats an edge end as `node.port`. */
export function formatEdgeEnd(end: { node: string; port: string }): string {
  return `${end.node}.${end.port}`;
}
