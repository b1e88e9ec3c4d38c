/** Media types the parse node reads. */
export const SUPPORTED_MEDIA_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf', 'text/csv'] as const;

export type SupportedMediaType = (typeof SUPPORTED_MEDIA_TYPES)[number];

/** A document turned into text. Markdown-like structure (headings as `#` lines) is kept in `text`. */
export interface ParsedDocument {
  text: string;
  /** First heading, HTML `<title>`, or PDF `/Title`, when there is one. */
  title: string | null;
  /** CSV only: the rows as objects keyed by the header row. */
  rows?: Array<Record<string, string>>;
  /** PDF only. */
  pageCount?: number;
  /** Parts the parser skipped or could not read, such as a PDF stream with an unsupported filter. */
  warnings: string[];
}
