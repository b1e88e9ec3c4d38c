// A small Markdown renderer for extension panels. It escapes all HTML first,
// so the output contains only the tags written here: headings, paragraphs,
// lists, fenced code, inline code, bold, italic and links to http(s) or
// same-site paths. Everything else shows as text.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes the five HTML special characters. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/** Returns the link target when it is http(s) or a path on this site, else null so the link renders as text. */
function safeHref(escapedHref: string): string | null {
  const href = escapedHref.replace(/&amp;/g, '&');
  if (/^https?:\/\//i.test(href) || (href.startsWith('/') && !href.startsWith('//'))) return escapeHtml(href);
  return null;
}

/** Renders inline Markdown of already escaped text: code spans first, so their content stays literal. */
function renderInline(escaped: string): string {
  const parts = escaped.split(/(`[^`]+`)/);
  return parts
    .map((part) => {
      if (part.length > 2 && part.startsWith('`') && part.endsWith('`')) return `<code>${part.slice(1, -1)}</code>`;
      return part
        .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) => {
          const target = safeHref(href);
          return target ? `<a href="${target}" rel="noopener noreferrer">${label}</a>` : whole;
        })
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>')
        .replace(/(^|\W)_([^_]+)_(?=\W|$)/g, '$1<em>$2</em>');
    })
    .join('');
}

/**
 * Renders Markdown to HTML that is safe to insert: any HTML in the source is
 * escaped and shown as text.
 *
 * @example
 * renderMarkdown('# Title\n\nSee <b>this</b>'); // '<h3>Title</h3>\n<p>See &lt;b&gt;this&lt;/b&gt;</p>'
 */
export function renderMarkdown(source: string): string {
  const lines = escapeHtml(source.replace(/\r\n?/g, '\n')).split('\n');
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null;

  const flushParagraph = () => {
    if (paragraph.length > 0) blocks.push(`<p>${renderInline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) blocks.push(`<${list.tag}>${list.items.map((item) => `<li>${renderInline(item)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;

    if (line.startsWith('```')) {
      flushParagraph();
      flushList();
      const code: string[] = [];
      index += 1;
      while (index < lines.length && !lines[index]!.startsWith('```')) code.push(lines[index++]!);
      blocks.push(`<pre><code>${code.join('\n')}</code></pre>`);
      continue;
    }

    // Headings start at h3 because a panel sits under the page's h1 and the panel's own h2.
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      const level = Math.min(heading[1]!.length + 2, 6);
      blocks.push(`<h${level}>${renderInline(heading[2]!)}</h${level}>`);
      continue;
    }

    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)![1]!);
      continue;
    }

    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  flushList();
  return blocks.join('\n');
}
