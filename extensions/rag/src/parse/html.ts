import type { ParsedDocument } from './types.js';

/** Elements whose content is not readable text. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'canvas', 'iframe', 'object']);

/** Elements that start a new paragraph. */
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'nav', 'blockquote', 'figure', 'figcaption',
  'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'form', 'fieldset', 'address', 'details', 'summary', 'hr', 'body', 'html',
]);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', hellip: '…',
  mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', middot: '·',
  bull: '•', euro: '€', pound: '£', yen: '¥', cent: '¢', deg: '°', times: '×', divide: '÷', para: '¶', sect: '§',
  eacute: 'é', egrave: 'è', aacute: 'á', agrave: 'à', oacute: 'ó', uacute: 'ú', iacute: 'í', ntilde: 'ñ', ccedil: 'ç',
  auml: 'ä', ouml: 'ö', uuml: 'ü', szlig: 'ß', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', shy: '',
};

/** Replaces character references: named ones of a common set, and every decimal or hex one. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>|<\?[^>]*>|<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;

/**
 * Turns HTML into Markdown-like text that keeps its structure: headings become `#` lines,
 * list items `- ` lines, table rows cells joined by ` | `, paragraphs blank-line separated,
 * and `<pre>` keeps its line breaks. Scripts, styles and other non-text elements are dropped.
 * It is a tolerant tokenizer, not an HTML5 parser, so deeply malformed markup may lose text.
 */
export function parseHtml(source: string): ParsedDocument {
  const parts: string[] = [];
  let skipping: string | null = null;
  let preDepth = 0;
  let title: string | null = null;
  let inTitle = false;
  let firstHeading: string | null = null;
  let headingText: string[] | null = null;
  let cellIndex = 0;
  let last = 0;

  const emitText = (raw: string) => {
    if (raw === '') return;
    const decoded = decodeEntities(raw);
    const text = preDepth > 0 ? decoded : decoded.replace(/\s+/g, ' ');
    parts.push(text);
    if (headingText) headingText.push(text);
  };

  for (const match of source.matchAll(TOKEN)) {
    const before = source.slice(last, match.index);
    last = match.index + match[0].length;
    if (inTitle) title = (title ?? '') + decodeEntities(before);
    else if (skipping === null) emitText(before);

    const name = match[2]?.toLowerCase();
    if (!name) continue;
    const closing = match[1] === '/';

    if (skipping !== null) {
      if (closing && name === skipping) skipping = null;
      continue;
    }
    if (name === 'title') {
      inTitle = !closing;
      continue;
    }
    if (!closing && SKIPPED.has(name) && !/\/\s*$/.test(match[3] ?? '')) {
      skipping = name;
      continue;
    }

    const heading = /^h([1-6])$/.exec(name);
    if (heading) {
      if (!closing) {
        parts.push(`\n\n${'#'.repeat(Number(heading[1]))} `);
        headingText = [];
      } else {
        if (headingText && firstHeading === null) firstHeading = headingText.join('').trim() || null;
        headingText = null;
        parts.push('\n\n');
      }
    } else if (name === 'pre') {
      preDepth += closing ? -1 : 1;
      if (preDepth < 0) preDepth = 0;
      parts.push(closing ? '\n```\n\n' : '\n\n```\n');
    } else if (name === 'br') {
      parts.push('\n');
    } else if (name === 'li' && !closing) {
      parts.push('\n- ');
    } else if (name === 'tr') {
      if (!closing) parts.push('\n');
      cellIndex = 0;
    } else if ((name === 'td' || name === 'th') && !closing) {
      if (cellIndex > 0) parts.push(' | ');
      cellIndex += 1;
    } else if (name === 'img' && !closing) {
      const alt = /\balt\s*=\s*("([^"]*)"|'([^']*)')/i.exec(match[3] ?? '');
      const altText = alt?.[2] ?? alt?.[3];
      if (altText) parts.push(decodeEntities(altText));
    } else if (BLOCKS.has(name)) {
      parts.push('\n\n');
    }
  }
  if (skipping === null) emitText(source.slice(last));

  // Leading spaces come from collapsed whitespace, except inside <pre>, which is fenced with ```.
  let inFence = false;
  const text = parts
    .join('')
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) inFence = !inFence;
      const trimmed = line.replace(/[ \t]+$/g, '');
      return inFence ? trimmed : trimmed.replace(/^[ \t]+/, '');
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const cleanTitle = title?.replace(/\s+/g, ' ').trim() || null;
  return { text, title: cleanTitle ?? firstHeading, warnings: [] };
}
