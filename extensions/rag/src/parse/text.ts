import type { ParsedDocument } from './types.js';

/** Normalises line endings to `\n`, drops NUL characters and trailing spaces of lines. */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\u0000/g, '').replace(/[ \t]+\n/g, '\n');
}

export function parsePlainText(text: string): ParsedDocument {
  const normalized = normalizeText(text).trim();
  const firstLine = normalized.split('\n', 1)[0]?.trim() ?? '';
  return { text: normalized, title: firstLine === '' ? null : firstLine.slice(0, 200), warnings: [] };
}
