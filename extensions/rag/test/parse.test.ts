import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/parse/csv.js';
import { parseHtml } from '../src/parse/html.js';
import { parseDocument, resolveMediaType } from '../src/parse/index.js';
import { parseMarkdown } from '../src/parse/markdown.js';
import { parsePdf } from '../src/parse/pdf.js';
import { decodeBase64 } from '../src/text/bytes.js';
import { writePdf } from './support/pdf-writer.js';

describe('markdown parser', () => {
  it('keeps headings and drops front matter', () => {
    const parsed = parseMarkdown('---\ntitle: "Guide"\n---\n<!-- badge -->\n# Install\r\n\r\nRun it.\n');

    expect(parsed.text).toBe('# Install\n\nRun it.');
    expect(parsed.title).toBe('Install');
  });

  it('uses the front-matter title without headings', () => {
    expect(parseMarkdown('---\ntitle: Notes\n---\nplain text').title).toBe('Notes');
  });
});

describe('html parser', () => {
  it('keeps structure as Markdown-like text', () => {
    const parsed = parseHtml(`<!doctype html><html><head><title>Docs &amp; more</title><style>p{color:red}</style></head>
      <body><nav>Menu</nav><h1>Setup</h1><p>Install   the <b>tool</b>.</p><script>alert(1)</script>
      <ul><li>one</li><li>two &lt;3&gt;</li></ul><table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
      <pre>line 1
  line 2</pre><p>caf&eacute; &#233; &#x41;</p></body></html>`);

    expect(parsed.title).toBe('Docs & more');
    expect(parsed.text).toContain('# Setup');
    expect(parsed.text).toContain('Install the tool.');
    expect(parsed.text).toContain('- one\n- two <3>');
    expect(parsed.text).toContain('k | v\na | 1');
    expect(parsed.text).toContain('line 1\n  line 2');
    expect(parsed.text).toContain('café é A');
    expect(parsed.text).not.toContain('alert');
    expect(parsed.text).not.toContain('color:red');
  });

  it('falls back to the first heading for the title', () => {
    expect(parseHtml('<h2>Only <i>heading</i></h2><p>x</p>').title).toBe('Only heading');
  });
});

describe('csv parser', () => {
  it('reads quoted fields and rows', () => {
    const parsed = parseCsv('name,note\r\n"Ada","said ""hi"", twice"\nBob,"two\nlines"\n');

    expect(parsed.rows).toEqual([
      { name: 'Ada', note: 'said "hi", twice' },
      { name: 'Bob', note: 'two\nlines' },
    ]);
    expect(parsed.text).toBe('name: Ada; note: said "hi", twice\nname: Bob; note: two lines');
  });

  it('detects semicolons and names empty headers', () => {
    const parsed = parseCsv('a;;a\n1;2;3');

    expect(parsed.rows).toEqual([{ a: '1', column_2: '2', a_2: '3' }]);
  });

  it('rejects an unclosed quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/ends inside a quoted field/);
  });

  it('warns about ragged rows', () => {
    expect(parseCsv('a,b\n1').warnings).toEqual(['Row 2 has 1 fields; the header has 2.']);
  });
});

describe('pdf parser', () => {
  it('extracts text from Flate streams', () => {
    const pdf = writePdf(
      [
        { content: 'BT /F1 12 Tf 72 720 Td (Hello PDF world) Tj 0 -14 Td [(Second) -300 (line)] TJ T* (caf\\351 \\(x\\)) Tj ET' },
        { content: 'BT /F1 12 Tf 1 0 0 1 72 700 Tm (Page two) Tj ET' },
      ],
      { compress: true, title: 'Test document' },
    );
    const parsed = parsePdf(pdf);

    expect(parsed.text).toBe('Hello PDF world\nSecond line\ncafé (x)\n\nPage two');
    expect(parsed.pageCount).toBe(2);
    expect(parsed.title).toBe('Test document');
    expect(parsed.warnings).toEqual([]);
  });

  it('decodes a ToUnicode font', () => {
    const pdf = writePdf([{ content: 'BT /F2 12 Tf 72 720 Td <000100020003> Tj ET' }], { cidText: 'Ωμέ', compress: true });

    expect(parsePdf(pdf).text).toBe('Ωμέ');
  });

  it('reads uncompressed streams', () => {
    expect(parsePdf(writePdf([{ content: 'BT /F1 10 Tf (plain) Tj ET' }])).text).toBe('plain');
  });

  it('rejects a file that is not a PDF', () => {
    expect(() => parsePdf(new TextEncoder().encode('hello'))).toThrow(/not a PDF/);
  });

  it('rejects an encrypted PDF', () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 5 0 R >>\n');

    expect(() => parsePdf(pdf)).toThrow(/encrypted/);
  });

  it('warns when pages have no text', () => {
    expect(parsePdf(writePdf([{ content: '0 0 m 10 10 l S' }])).warnings[0]).toMatch(/scanned images/);
  });

  // A real PDF written by another tool, when the machine has it (Debian's libtasn1-doc package).
  const realPdf = '/usr/share/doc/libtasn1-doc/libtasn1.pdf';
  it.skipIf(!fs.existsSync(realPdf))('reads a real PDF from another writer', () => {
    const parsed = parsePdf(new Uint8Array(fs.readFileSync(realPdf)));

    expect(parsed.pageCount).toBeGreaterThan(5);
    expect(parsed.text).toContain('ASN.1');
    expect(parsed.text.length).toBeGreaterThan(10_000);
  });
});

describe('document dispatch', () => {
  it('resolves media types and extensions', () => {
    expect(resolveMediaType('text/markdown; charset=utf-8', undefined)).toBe('text/markdown');
    expect(resolveMediaType(undefined, 'README.md')).toBe('text/markdown');
    expect(resolveMediaType('application/octet-stream', 'report.PDF')).toBe('application/pdf');
    expect(resolveMediaType(undefined, undefined)).toBe('text/plain');
  });

  it('rejects an unsupported media type', () => {
    expect(() => resolveMediaType('image/png', undefined)).toThrow("Media type 'image/png' is not supported. Send one of text/plain, text/markdown, text/html, application/pdf, text/csv, or convert the document to one of them.");
  });

  it('rejects a PDF sent as text', () => {
    expect(() => parseDocument('application/pdf', { text: '%PDF-1.4' })).toThrow(/must be sent as bytes/);
  });

  it('decodes base64 and UTF-8', () => {
    const parsed = parseDocument('text/plain', { bytes: decodeBase64(Buffer.from('\uFEFFgrüße', 'utf8').toString('base64'), 'doc') });

    expect(parsed.text).toBe('grüße');
  });

  it('rejects invalid base64', () => {
    expect(() => decodeBase64('ab$d', 'documents.0')).toThrow("documents.0 is not valid base64: character '$' at position 2.");
  });
});
