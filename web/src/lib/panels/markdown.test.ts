import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('escapes HTML in the source', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> <img src=x onerror="alert(2)">');

    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('onerror=&quot;alert(2)&quot;');
  });

  it('renders headings, lists and emphasis', () => {
    const html = renderMarkdown('# Usage\n\nThe **Text stats** node, *fast*.\n\n- one\n- `two`\n\n1. first\n2. second');

    expect(html).toContain('<h3>Usage</h3>');
    expect(html).toContain('<p>The <strong>Text stats</strong> node, <em>fast</em>.</p>');
    expect(html).toContain('<ul><li>one</li><li><code>two</code></li></ul>');
    expect(html).toContain('<ol><li>first</li><li>second</li></ol>');
  });

  it('keeps code spans literal', () => {
    expect(renderMarkdown('use `**not bold** <b>`')).toBe('<p>use <code>**not bold** &lt;b&gt;</code></p>');
  });

  it('renders fenced code without markup', () => {
    const html = renderMarkdown('```\nconst a = "<b>";\n# not a heading\n```');

    expect(html).toBe('<pre><code>const a = &quot;&lt;b&gt;&quot;;\n# not a heading</code></pre>');
  });

  it('links only http(s) and site paths', () => {
    expect(renderMarkdown('[docs](https://example.com/a?b=1&c=2)')).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">docs</a>');
    expect(renderMarkdown('[runs](/runs)')).toContain('<a href="/runs"');
    expect(renderMarkdown('[x](javascript:alert(1))')).not.toContain('<a');
    expect(renderMarkdown('[x](//evil.example)')).not.toContain('<a');
  });

  it('escapes quotes that could leave an attribute', () => {
    expect(renderMarkdown('[x](https://a.example/"onmouseover="alert(1))')).not.toMatch(/href="[^"]*"onmouseover/);
  });
});

describe('escapeHtml', () => {
  it('escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});
