import { RagError } from '../errors.js';
import { decodeUtf8 } from '../text/bytes.js';
import { parseCsv } from './csv.js';
import { parseHtml } from './html.js';
import { parseMarkdown } from './markdown.js';
import { parsePdf } from './pdf.js';
import { parsePlainText } from './text.js';
import { SUPPORTED_MEDIA_TYPES, type ParsedDocument, type SupportedMediaType } from './types.js';

export { SUPPORTED_MEDIA_TYPES, type ParsedDocument, type SupportedMediaType } from './types.js';

const ALIASES: Record<string, SupportedMediaType> = {
  'text/plain': 'text/plain',
  'text/markdown': 'text/markdown',
  'text/x-markdown': 'text/markdown',
  'text/html': 'text/html',
  'application/xhtml+xml': 'text/html',
  'application/pdf': 'application/pdf',
  'text/csv': 'text/csv',
  'application/csv': 'text/csv',
  'text/tab-separated-values': 'text/csv',
};

const EXTENSIONS: Record<string, SupportedMediaType> = {
  txt: 'text/plain', text: 'text/plain', log: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', mdx: 'text/markdown',
  html: 'text/html', htm: 'text/html', xhtml: 'text/html', pdf: 'application/pdf', csv: 'text/csv', tsv: 'text/csv',
};

/**
 * Returns the supported media type for a declared type (parameters such as `; charset=utf-8`
 * are ignored), or else for a file name's extension. Throws `unsupported` naming the type.
 */
export function resolveMediaType(declared: string | undefined, fileName: string | undefined): SupportedMediaType {
  const base = declared?.split(';', 1)[0]!.trim().toLowerCase();
  if (base && base !== 'application/octet-stream') {
    const known = ALIASES[base];
    if (known) return known;
    throw new RagError('unsupported', `Media type '${declared}' is not supported. Send one of ${SUPPORTED_MEDIA_TYPES.join(', ')}, or convert the document to one of them.`);
  }
  const extension = fileName?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (extension && EXTENSIONS[extension]) return EXTENSIONS[extension]!;
  return 'text/plain';
}

/** Parses a document given as text or as bytes. PDFs must come as bytes; other types are decoded as UTF-8. */
export function parseDocument(mediaType: SupportedMediaType, content: { text: string } | { bytes: Uint8Array }): ParsedDocument {
  if (mediaType === 'application/pdf') {
    if (!('bytes' in content)) throw new RagError('invalid_argument', 'A PDF must be sent as bytes (base64 or a binary property), not as text: text has lost the binary streams.');
    return parsePdf(content.bytes);
  }
  const text = 'text' in content ? content.text : decodeUtf8(content.bytes);
  if (mediaType === 'text/markdown') return parseMarkdown(text);
  if (mediaType === 'text/html') return parseHtml(text);
  if (mediaType === 'text/csv') return parseCsv(text);
  return parsePlainText(text);
}
