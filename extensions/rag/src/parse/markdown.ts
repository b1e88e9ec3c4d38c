import { normalizeText } from './text.js';
import type { ParsedDocument } from './types.js';

/**
 * Reads Markdown: the text stays Markdown, so the Markdown-aware chunker can split it by
 * headings. A leading YAML front-matter block is removed, and its `title` is used when the
 * document has no heading.
 */
export function parseMarkdown(source: string): ParsedDocument {
  let text = normalizeText(source);
  let frontMatterTitle: string | null = null;

  const frontMatter = /^---\n([\s\S]*?)\n(?:---|\.\.\.)\n/.exec(text);
  if (frontMatter) {
    const title = /^title:\s*["']?(.+?)["']?\s*$/m.exec(frontMatter[1]!);
    frontMatterTitle = title ? title[1]! : null;
    text = text.slice(frontMatter[0].length);
  }

  // HTML comments carry no readable text (badges, lint directives).
  text = text.replace(/<!--[\s\S]*?-->/g, '').trim();
  const heading = /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
  const setext = /^([^\n]+)\n=+[ \t]*$/m.exec(text);
  const title = heading?.[1] ?? setext?.[1] ?? frontMatterTitle;
  return { text, title: title ? title.trim().slice(0, 200) : null, warnings: [] };
}
