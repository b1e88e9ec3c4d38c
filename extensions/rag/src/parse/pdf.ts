/**
 * Text extraction from PDF written for this extension. It reads the common cases: classic
 * and compressed object streams, FlateDecode, ASCIIHexDecode and ASCII85Decode streams,
 * simple fonts in WinAnsi or standard encoding, and fonts with a ToUnicode CMap (which
 * covers most CID fonts from office suites and LaTeX). Limits, reported as warnings or errors:
 * - encrypted PDFs are rejected, and scanned pages (images without a text layer) give no text;
 * - streams with other filters (LZW, DCT, JBIG2, predictors on content) are skipped;
 * - text follows the order of the content stream, so multi-column layouts may interleave;
 * - CID fonts without ToUnicode and custom glyph names outside a common set are not decoded.
 */
import { inflateSync, unzlibSync } from 'fflate';
import { RagError } from '../errors.js';
import { decodeLatin1 } from '../text/bytes.js';
import { isDict, isName, isRef, isString, parseObjectValue, parseValue, PdfLexer, type PdfDict, type PdfValue } from './pdf-objects.js';
import { normalizeText } from './text.js';
import type { ParsedDocument } from './types.js';

/** Maximum pages read from one PDF. */
export const MAX_PDF_PAGES = 2_000;

/** Maximum decoded size of one stream, in bytes; larger streams are skipped with a warning. */
const MAX_STREAM_BYTES = 64 * 1024 * 1024;

/** Depth limit for form XObjects drawn inside each other. */
const MAX_FORM_DEPTH = 8;

/** WinAnsiEncoding differs from Latin-1 in 0x80–0x9F. */
const WIN_ANSI_HIGH: Record<number, string> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰', 0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ',
  0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›',
  0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};

/** Glyph names of `/Differences` arrays that are not a single letter or digit. */
const GLYPH_NAMES: Record<string, string> = {
  space: ' ', exclam: '!', quotedbl: '"', numbersign: '#', dollar: '$', percent: '%', ampersand: '&', quotesingle: "'", quoteright: '’',
  quoteleft: '‘', parenleft: '(', parenright: ')', asterisk: '*', plus: '+', comma: ',', hyphen: '-', minus: '−', period: '.', slash: '/',
  colon: ':', semicolon: ';', less: '<', equal: '=', greater: '>', question: '?', at: '@', bracketleft: '[', backslash: '\\',
  bracketright: ']', underscore: '_', braceleft: '{', bar: '|', braceright: '}', fi: 'fi', fl: 'fl', ff: 'ff', ffi: 'ffi', ffl: 'ffl',
  endash: '–', emdash: '—', bullet: '•', quotedblleft: '“', quotedblright: '”', zero: '0', one: '1', two: '2', three: '3', four: '4',
  five: '5', six: '6', seven: '7', eight: '8', nine: '9', ellipsis: '…', dotlessi: 'ı', grave: '`', asciitilde: '~', asciicircum: '^',
};

interface PdfObject {
  value: PdfValue | undefined;
  /** Raw stream bytes before filters, for objects with a stream. */
  stream?: Uint8Array;
}

interface Font {
  /** Code → Unicode text, from ToUnicode or an encoding. */
  map: Map<number, string> | null;
  /** Bytes per character code: 2 for Type0 fonts with Identity-like CMaps, else 1. */
  codeBytes: number;
  /** Whether codes without a map entry fall back to WinAnsi/Latin-1. */
  latinFallback: boolean;
}

class PdfReader {
  readonly objects = new Map<number, PdfObject>();
  readonly warnings: string[] = [];
  private readonly fonts = new Map<string, Font>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.readObjects();
    this.expandObjectStreams();
  }

  warn(message: string): void {
    if (this.warnings.length < 20 && !this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Scans the file for `n g obj … endobj`; a later definition of a number wins, as incremental updates append. */
  private readObjects(): void {
    const header = /(\d+)\s+\d+\s+obj\b/g;
    for (let match = header.exec(this.source); match; match = header.exec(this.source)) {
      const number = Number(match[1]);
      const bodyStart = match.index + match[0].length;
      const streamKeyword = this.source.indexOf('stream', bodyStart);
      const endObject = this.source.indexOf('endobj', bodyStart);
      const bodyEnd = endObject < 0 ? this.source.length : endObject;
      const value = parseObjectValue(this.source, bodyStart, streamKeyword >= 0 && streamKeyword < bodyEnd ? streamKeyword : bodyEnd);

      if (streamKeyword >= 0 && streamKeyword < bodyEnd && isDict(value)) {
        let dataStart = streamKeyword + 'stream'.length;
        if (this.source[dataStart] === '\r') dataStart += 1;
        if (this.source[dataStart] === '\n') dataStart += 1;
        const declared = value.dict.Length;
        let dataEnd = typeof declared === 'number' ? dataStart + declared : -1;
        if (dataEnd < 0 || this.source.slice(dataEnd, dataEnd + 20).trim().startsWith('endstream') === false) {
          dataEnd = this.source.indexOf('endstream', dataStart);
          if (dataEnd < 0) dataEnd = bodyEnd;
          while (dataEnd > dataStart && (this.source[dataEnd - 1] === '\n' || this.source[dataEnd - 1] === '\r')) dataEnd -= 1;
        }
        this.objects.set(number, { value, stream: this.bytes.subarray(dataStart, dataEnd) });
        header.lastIndex = Math.max(header.lastIndex, dataEnd);
      } else {
        this.objects.set(number, { value });
      }
    }
  }

  /** Adds the objects stored inside `/Type /ObjStm` streams (PDF 1.5 compressed objects). */
  private expandObjectStreams(): void {
    for (const object of [...this.objects.values()]) {
      if (!isDict(object.value) || !isName(object.value.dict.Type, 'ObjStm')) continue;
      const data = this.streamData(object);
      if (!data) continue;
      const text = decodeLatin1(data);
      const count = Number(object.value.dict.N ?? 0);
      const first = Number(object.value.dict.First ?? 0);
      const lexer = new PdfLexer(text, 0, first);
      const entries: Array<[number, number]> = [];
      for (let index = 0; index < count; index += 1) {
        const number = lexer.next();
        const offset = lexer.next();
        if (typeof number !== 'number' || typeof offset !== 'number') break;
        entries.push([number, offset]);
      }
      entries.forEach(([number, offset], index) => {
        const end = index + 1 < entries.length ? first + entries[index + 1]![1] : text.length;
        if (!this.objects.has(number)) this.objects.set(number, { value: parseObjectValue(text, first + offset, end) });
      });
    }
  }

  resolve(value: PdfValue | undefined, depth = 0): PdfValue | undefined {
    if (isRef(value) && depth < 32) return this.resolve(this.objects.get(value.ref)?.value, depth + 1);
    return value;
  }

  dict(value: PdfValue | undefined): PdfDict['dict'] | null {
    const resolved = this.resolve(value);
    return isDict(resolved) ? resolved.dict : null;
  }

  /** Decoded bytes of a stream object, or null with a warning when a filter is unsupported. */
  streamData(object: PdfObject | undefined): Uint8Array | null {
    if (!object?.stream || !isDict(object.value)) return null;
    const filterValue = this.resolve(object.value.dict.Filter);
    let filterList: PdfValue[] = [];
    if (Array.isArray(filterValue)) filterList = filterValue;
    else if (filterValue !== undefined) filterList = [filterValue];
    const filters = filterList.map((filter) => (isName(filter) ? filter.name : '?'));
    let data = object.stream;
    for (const filter of filters) {
      if (filter === 'FlateDecode' || filter === 'Fl') data = inflate(data);
      else if (filter === 'ASCIIHexDecode' || filter === 'AHx') data = asciiHex(data);
      else if (filter === 'ASCII85Decode' || filter === 'A85') data = ascii85(data);
      else {
        this.warn(`Skipped a stream with the unsupported filter ${filter}.`);
        return null;
      }
      if (data.length > MAX_STREAM_BYTES) {
        this.warn(`Skipped a stream larger than ${MAX_STREAM_BYTES} bytes when decoded.`);
        return null;
      }
    }
    return data;
  }

  /** Pages in document order: the page tree from the catalog, or every page object when there is no usable tree. */
  pages(): Array<PdfDict['dict']> {
    const catalog = this.findCatalog();
    const pages: Array<PdfDict['dict']> = [];
    const visit = (node: PdfValue | undefined, depth: number) => {
      const dict = this.dict(node);
      if (!dict || depth > 64 || pages.length >= MAX_PDF_PAGES) return;
      if (isName(dict.Type, 'Page') || (!dict.Kids && dict.Contents)) {
        pages.push(dict);
        return;
      }
      const kids = this.resolve(dict.Kids);
      if (Array.isArray(kids)) for (const kid of kids) visit(kid, depth + 1);
    };
    if (catalog) visit(catalog.Pages, 0);
    if (pages.length > 0) return pages;
    for (const object of this.objects.values()) if (isDict(object.value) && isName(object.value.dict.Type, 'Page')) pages.push(object.value.dict);
    return pages.slice(0, MAX_PDF_PAGES);
  }

  findCatalog(): PdfDict['dict'] | null {
    for (const object of this.objects.values()) if (isDict(object.value) && isName(object.value.dict.Type, 'Catalog')) return object.value.dict;
    return null;
  }

  /** `/Title` of the document information dictionary, when it is plain text. */
  title(): string | null {
    const trailer = /trailer\s*<</.exec(this.source);
    let info: PdfDict['dict'] | null = null;
    if (trailer) {
      const value = parseObjectValue(this.source, trailer.index + 'trailer'.length);
      if (isDict(value)) info = this.dict(value.dict.Info);
    }
    if (!info) for (const object of this.objects.values()) if (isDict(object.value) && isName(object.value.dict.Type, 'XRef') && object.value.dict.Info) info = this.dict(object.value.dict.Info);
    const title = info ? this.resolve(info.Title) : undefined;
    if (!isString(title)) return null;
    const text = decodeTextString(title.bytes).trim();
    return text === '' ? null : text;
  }

  isEncrypted(): boolean {
    return /\/Encrypt\s+\d+\s+\d+\s+R/.test(this.source) || /\/Encrypt\s*<</.test(this.source);
  }

  /** Returns the resources of a page, inherited from its ancestors when the page has none. */
  resources(page: PdfDict['dict']): PdfDict['dict'] | null {
    let node: PdfDict['dict'] | null = page;
    for (let depth = 0; node && depth < 64; depth += 1) {
      const resources = this.dict(node.Resources);
      if (resources) return resources;
      node = this.dict(node.Parent);
    }
    return null;
  }

  font(reference: PdfValue | undefined): Font {
    const key = isRef(reference) ? `ref:${reference.ref}` : null;
    const cached = key ? this.fonts.get(key) : undefined;
    if (cached) return cached;
    const dict = this.dict(reference);
    const font = dict ? this.buildFont(dict) : { map: null, codeBytes: 1, latinFallback: true };
    if (key) this.fonts.set(key, font);
    return font;
  }

  private buildFont(dict: PdfDict['dict']): Font {
    const composite = isName(dict.Subtype, 'Type0');
    const toUnicode = this.resolve(dict.ToUnicode);
    let map: Map<number, string> | null = null;
    let codeBytes = composite ? 2 : 1;
    if (isRef(dict.ToUnicode) || isDict(toUnicode)) {
      const data = this.streamData(this.objects.get(isRef(dict.ToUnicode) ? dict.ToUnicode.ref : -1));
      if (data) {
        const cmap = parseToUnicode(decodeLatin1(data));
        map = cmap.map;
        codeBytes = cmap.codeBytes ?? codeBytes;
      }
    }
    if (!map && !composite) map = simpleEncoding(this, dict);
    if (!map && composite) this.warn('Skipped text in a composite (CID) font without a ToUnicode map; its characters cannot be decoded.');
    return { map, codeBytes, latinFallback: !composite };
  }
}

function inflate(data: Uint8Array): Uint8Array {
  try {
    return unzlibSync(data);
  } catch {
    // Some writers emit raw deflate data, or a zlib stream with a damaged checksum.
    return inflateSync(data.subarray(2));
  }
}

function asciiHex(data: Uint8Array): Uint8Array {
  const text = decodeLatin1(data).split('>')[0]!.replace(/[^0-9a-fA-F]/g, '');
  const output = new Uint8Array(Math.ceil(text.length / 2));
  for (let index = 0; index < output.length; index += 1) output[index] = Number.parseInt((text.slice(index * 2, index * 2 + 2) + '0').slice(0, 2), 16);
  return output;
}

function ascii85(data: Uint8Array): Uint8Array {
  const text = decodeLatin1(data).replace(/^<~/, '').split('~>')[0]!.replace(/\s+/g, '');
  const output: number[] = [];
  let group: number[] = [];
  for (const character of text) {
    if (character === 'z' && group.length === 0) {
      output.push(0, 0, 0, 0);
      continue;
    }
    group.push(character.charCodeAt(0) - 33);
    if (group.length === 5) {
      const value = group.reduce((total, digit) => total * 85 + digit, 0);
      output.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
      group = [];
    }
  }
  if (group.length > 1) {
    const missing = 5 - group.length;
    const value = [...group, ...Array(missing).fill(84)].reduce((total, digit) => total * 85 + digit, 0);
    output.push(...[(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].slice(0, 4 - missing));
  }
  return Uint8Array.from(output);
}

/** Decodes a PDF text string: UTF-16BE with a byte-order mark, or PDFDocEncoding (close to Latin-1). */
function decodeTextString(bytes: string): string {
  if (bytes.charCodeAt(0) === 0xfe && bytes.charCodeAt(1) === 0xff) return utf16be(bytes.slice(2));
  return bytes;
}

function utf16be(bytes: string): string {
  const units: number[] = [];
  for (let index = 0; index + 1 < bytes.length; index += 2) units.push((bytes.charCodeAt(index) << 8) | bytes.charCodeAt(index + 1));
  return String.fromCharCode(...units);
}

function hexValue(hex: string): number {
  return Number.parseInt(hex, 16);
}

/** Reads the `bfchar` and `bfrange` sections of a ToUnicode CMap. */
export function parseToUnicode(cmap: string): { map: Map<number, string>; codeBytes: number | null } {
  const map = new Map<number, string>();
  const unicode = (hex: string) => utf16be(hex.replace(/[^0-9a-fA-F]/g, '').replace(/../g, (pair) => String.fromCharCode(hexValue(pair))));
  const range = /begincodespacerange\s*<([0-9a-fA-F]+)>/.exec(cmap);
  const codeBytes = range ? Math.max(1, Math.ceil(range[1]!.length / 2)) : null;

  for (const section of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const entry of section[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>/g)) map.set(hexValue(entry[1]!), unicode(entry[2]!));
  }
  for (const section of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const entry of section[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\[[^\]]*\])/g)) {
      const low = hexValue(entry[1]!);
      const high = Math.min(hexValue(entry[2]!), low + 65_535);
      const target = entry[3]!;
      if (target.startsWith('[')) {
        const items = [...target.matchAll(/<([0-9a-fA-F]*)>/g)].map((item) => unicode(item[1]!));
        items.forEach((text, offset) => low + offset <= high && map.set(low + offset, text));
      } else {
        const base = unicode(target.slice(1, -1));
        const last = base.charCodeAt(base.length - 1);
        for (let code = low; code <= high; code += 1) map.set(code, base.slice(0, -1) + String.fromCharCode(last + (code - low)));
      }
    }
  }
  return { map, codeBytes };
}

/** Builds a simple font's code map from its `/Encoding` `/Differences`, or returns null to use WinAnsi/Latin-1 directly. */
function simpleEncoding(reader: PdfReader, font: PdfDict['dict']): Map<number, string> | null {
  const encoding = reader.dict(font.Encoding);
  const differences = encoding ? reader.resolve(encoding.Differences) : undefined;
  if (!Array.isArray(differences)) return null;
  const map = new Map<number, string>();
  let code = 0;
  for (const entry of differences) {
    if (typeof entry === 'number') code = entry;
    else if (isName(entry)) {
      const name = entry.name;
      let text: string | undefined = GLYPH_NAMES[name];
      if (text === undefined && name.length === 1) text = name;
      else if (text === undefined && /^uni([0-9A-F]{4})$/.test(name)) text = String.fromCharCode(hexValue(name.slice(3)));
      if (text !== undefined) map.set(code, text);
      code += 1;
    }
  }
  return map;
}

function decodeWithFont(bytes: string, font: Font): string {
  let text = '';
  for (let index = 0; index + font.codeBytes <= bytes.length; index += font.codeBytes) {
    let code = 0;
    for (let offset = 0; offset < font.codeBytes; offset += 1) code = (code << 8) | bytes.charCodeAt(index + offset);
    const mapped = font.map?.get(code);
    if (mapped !== undefined) text += mapped;
    else if (font.latinFallback) text += WIN_ANSI_HIGH[code] ?? (code >= 0x20 || code === 0x09 ? String.fromCharCode(code) : '');
  }
  return text;
}

/** Extracts a content stream's text, with line breaks where the text moves to a new line. */
function extractContent(reader: PdfReader, content: string, resources: PdfDict['dict'] | null, output: string[], depth: number): void {
  const fonts = resources ? reader.dict(resources.Font) : null;
  const xobjects = resources ? reader.dict(resources.XObject) : null;
  const lexer = new PdfLexer(content);
  const operands: PdfValue[] = [];
  let font: Font = { map: null, codeBytes: 1, latinFallback: true };
  let lineY: number | null = null;

  const newline = () => {
    if (output.length > 0 && !output[output.length - 1]!.endsWith('\n')) output.push('\n');
  };
  const space = () => {
    const last = output[output.length - 1];
    if (last !== undefined && !/\s$/.test(last)) output.push(' ');
  };
  const show = (value: PdfValue | undefined) => {
    if (isString(value)) output.push(decodeWithFont(value.bytes, font));
  };

  for (let token = parseValue(lexer); token !== undefined; token = parseValue(lexer)) {
    if (typeof token !== 'object' || token === null || !('operator' in token)) {
      operands.push(token as PdfValue);
      if (operands.length > 64) operands.shift();
      continue;
    }
    const operator = token.operator;
    switch (operator) {
      case 'BI': {
        // Inline image data is binary: skip to its end.
        const end = content.indexOf('EI', lexer.position);
        lexer.position = end < 0 ? content.length : end + 2;
        break;
      }
      case 'Tf': {
        const name = operands[operands.length - 2];
        if (isName(name) && fonts) font = reader.font(fonts[name.name]);
        break;
      }
      case 'Tj':
        show(operands[operands.length - 1]);
        break;
      case "'":
      case '"':
        newline();
        show(operands[operands.length - 1]);
        break;
      case 'TJ': {
        const parts = operands[operands.length - 1];
        if (Array.isArray(parts)) {
          for (const part of parts) {
            // A large negative adjustment (in thousandths of an em) is a gap between words.
            if (typeof part === 'number' && part < -200) space();
            else show(part);
          }
        }
        break;
      }
      case 'Td':
      case 'TD': {
        const ty = operands[operands.length - 1];
        const tx = operands[operands.length - 2];
        if (typeof ty === 'number' && Math.abs(ty) > 0.01) newline();
        else if (typeof tx === 'number' && tx > 0) space();
        break;
      }
      case 'T*':
        newline();
        break;
      case 'Tm': {
        const y = operands[operands.length - 1];
        if (typeof y === 'number') {
          if (lineY !== null && Math.abs(y - lineY) > 0.01) newline();
          else space();
          lineY = y;
        }
        break;
      }
      case 'ET':
        space();
        break;
      case 'Do': {
        const name = operands[operands.length - 1];
        const reference = isName(name) && xobjects ? xobjects[name.name] : undefined;
        const object = isRef(reference) ? reader.objects.get(reference.ref) : undefined;
        if (object && isDict(object.value) && isName(object.value.dict.Subtype, 'Form') && depth < MAX_FORM_DEPTH) {
          const data = reader.streamData(object);
          if (data) extractContent(reader, decodeLatin1(data), reader.dict(object.value.dict.Resources) ?? resources, output, depth + 1);
        }
        break;
      }
      default:
        break;
    }
    operands.length = 0;
  }
  newline();
}

/** Extracts the text of a PDF, page by page, pages separated by blank lines. */
export function parsePdf(bytes: Uint8Array): ParsedDocument {
  const source = decodeLatin1(bytes);
  if (!source.startsWith('%PDF-') && !source.slice(0, 1024).includes('%PDF-')) {
    throw new RagError('invalid_argument', 'The document is not a PDF: it does not start with "%PDF-". Check the media type, or send the file itself rather than a link or a preview.');
  }
  const reader = new PdfReader(bytes, source);
  if (reader.isEncrypted()) throw new RagError('unsupported', 'The PDF is encrypted, and encrypted PDFs are not supported. Remove the password or encryption and send it again.');

  const pages = reader.pages();
  const pageTexts: string[] = [];
  for (const page of pages) {
    const contents = reader.resolve(page.Contents);
    const references = Array.isArray(contents) ? contents : [page.Contents];
    let content = '';
    for (const reference of references) {
      const data = isRef(reference) ? reader.streamData(reader.objects.get(reference.ref)) : null;
      if (data) content += `${decodeLatin1(data)}\n`;
    }
    const output: string[] = [];
    extractContent(reader, content, reader.resources(page), output, 0);
    pageTexts.push(
      normalizeText(output.join(''))
        .split('\n')
        .map((line) => line.replace(/[ \t]+/g, ' ').trim())
        .join('\n')
        .trim(),
    );
  }

  const text = pageTexts.filter((page) => page !== '').join('\n\n');
  if (pages.length > 0 && text === '') reader.warn('No text was found: the pages may be scanned images, which need OCR before they can be indexed.');
  return { text, title: reader.title(), pageCount: pages.length, warnings: reader.warnings };
}
