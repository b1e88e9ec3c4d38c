/**
 * Writes small PDF 1.7 files for the parser tests. Each page's content stream is given as
 * text and is Flate-compressed when `compress` is set.
 *
 * Every page can use two fonts. F1 is Helvetica with WinAnsiEncoding. F2 is a Type0 font
 * with Identity-H encoding whose ToUnicode CMap maps the two-byte codes 0x0001, 0x0002 and
 * so on to the characters of `cidText` (default "Ω").
 *
 * NOTE: `objectStream` is accepted but ignored. Objects are always written one by one,
 * with a classic cross-reference table.
 */
import { strToU8, zlibSync } from 'fflate';

export interface PdfPage {
  content: string;
}

export function writePdf(pages: PdfPage[], options: { compress?: boolean; title?: string; cidText?: string; objectStream?: boolean } = {}): Uint8Array {
  const objects: Array<string | { dict: string; data: Uint8Array }> = [];
  const add = (value: string | { dict: string; data: Uint8Array }) => {
    objects.push(value);
    return objects.length;
  };
  const stream = (dict: string, text: string) => {
    const raw = strToU8(text, true);
    const data = options.compress ? zlibSync(raw) : raw;
    return { dict: `${dict}${options.compress ? ' /Filter /FlateDecode' : ''} /Length ${data.length}`, data };
  };

  const catalog = add('');
  const pagesNode = add('');
  const font1 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const cid = options.cidText ?? 'Ω';
  const bfchars = [...cid].map((character, index) => `<${(index + 1).toString(16).padStart(4, '0')}> <${character.charCodeAt(0).toString(16).padStart(4, '0')}>`).join('\n');
  const cmap = add(stream('<<', `/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n${[...cid].length} beginbfchar\n${bfchars}\nendbfchar\nendcmap\nend\nend`) as never);
  const font2 = add(`<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H /ToUnicode ${cmap} 0 R >>`);
  const pageIds: number[] = [];
  for (const page of pages) {
    const content = add(stream('<<', page.content) as never);
    pageIds.push(add(`<< /Type /Page /Parent ${pagesNode} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font1} 0 R /F2 ${font2} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesNode} 0 R >>`;
  objects[pagesNode - 1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  const info = options.title ? add(`<< /Title (${options.title}) >>`) : null;

  const chunks: Uint8Array[] = [strToU8('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n', true)];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(offset);
    const parts = typeof object === 'string' ? [strToU8(`${index + 1} 0 obj\n${object}\nendobj\n`, true)] : [strToU8(`${index + 1} 0 obj\n${object.dict} >>\nstream\n`, true), object.data, strToU8('\nendstream\nendobj\n', true)];
    for (const part of parts) {
      chunks.push(part);
      offset += part.length;
    }
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((value) => `${String(value).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${info ? ` /Info ${info} 0 R` : ''} >>\nstartxref\n${offset}\n%%EOF\n`;
  chunks.push(strToU8(xref, true));

  const total = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let position = 0;
  for (const chunk of chunks) {
    total.set(chunk, position);
    position += chunk.length;
  }
  return total;
}
