/**
 * Lexer and object parser for PDF syntax (ISO 32000-1, section 7.3): enough to read
 * dictionaries, arrays, strings, names, numbers and references in object bodies and in
 * content streams.
 */

export type PdfValue = number | boolean | null | PdfName | PdfString | PdfRef | PdfValue[] | PdfDict;

export interface PdfName {
  name: string;
}
/** A string's bytes, one character per byte (Latin-1). */
export interface PdfString {
  bytes: string;
}
export interface PdfRef {
  ref: number;
}
export interface PdfDict {
  dict: Record<string, PdfValue>;
}
/** An operator of a content stream, such as `Tj`. */
export interface PdfOperator {
  operator: string;
}

export type PdfToken = PdfValue | PdfOperator | { open: '<<' | '[' } | { close: '>>' | ']' };

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set(['(', ')', '<', '>', '[', ']', '{', '}', '/', '%']);

export function isName(value: unknown, name?: string): value is PdfName {
  return typeof value === 'object' && value !== null && 'name' in value && (name === undefined || (value as PdfName).name === name);
}
export function isDict(value: unknown): value is PdfDict {
  return typeof value === 'object' && value !== null && 'dict' in value;
}
export function isRef(value: unknown): value is PdfRef {
  return typeof value === 'object' && value !== null && 'ref' in value;
}
export function isString(value: unknown): value is PdfString {
  return typeof value === 'object' && value !== null && 'bytes' in value;
}

/** Reads tokens one at a time from Latin-1 text; `position` may be set to resume elsewhere. */
export class PdfLexer {
  position: number;

  constructor(
    private readonly source: string,
    start = 0,
    private readonly end = source.length,
  ) {
    this.position = start;
  }

  private skipWhitespace(): void {
    while (this.position < this.end) {
      const code = this.source.charCodeAt(this.position);
      if (WHITESPACE.has(code)) this.position += 1;
      else if (code === 0x25) {
        while (this.position < this.end && this.source[this.position] !== '\n' && this.source[this.position] !== '\r') this.position += 1;
      } else break;
    }
  }

  /** Returns the next token, or undefined at the end. */
  next(): PdfToken | undefined {
    this.skipWhitespace();
    if (this.position >= this.end) return undefined;
    const character = this.source[this.position]!;

    if (character === '<' && this.source[this.position + 1] === '<') {
      this.position += 2;
      return { open: '<<' };
    }
    if (character === '>' && this.source[this.position + 1] === '>') {
      this.position += 2;
      return { close: '>>' };
    }
    if (character === '[') {
      this.position += 1;
      return { open: '[' };
    }
    if (character === ']') {
      this.position += 1;
      return { close: ']' };
    }
    if (character === '(') return this.literalString();
    if (character === '<') return this.hexString();
    if (character === '/') return this.name();
    if (character === '{' || character === '}' || character === ')' || character === '>') {
      this.position += 1;
      return this.next();
    }

    const start = this.position;
    while (this.position < this.end) {
      const code = this.source.charCodeAt(this.position);
      if (WHITESPACE.has(code) || DELIMITERS.has(this.source[this.position]!)) break;
      this.position += 1;
    }
    const word = this.source.slice(start, this.position);
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) return Number(word);
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    return { operator: word };
  }

  private name(): PdfName {
    this.position += 1;
    const start = this.position;
    while (this.position < this.end) {
      const code = this.source.charCodeAt(this.position);
      if (WHITESPACE.has(code) || DELIMITERS.has(this.source[this.position]!)) break;
      this.position += 1;
    }
    return { name: this.source.slice(start, this.position).replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) };
  }

  private hexString(): PdfString {
    const close = this.source.indexOf('>', this.position);
    const stop = close < 0 ? this.end : close;
    let hex = this.source.slice(this.position + 1, stop).replace(/[^0-9a-fA-F]/g, '');
    this.position = stop + 1;
    if (hex.length % 2 === 1) hex += '0';
    let bytes = '';
    for (let index = 0; index < hex.length; index += 2) bytes += String.fromCharCode(Number.parseInt(hex.slice(index, index + 2), 16));
    return { bytes };
  }

  private literalString(): PdfString {
    this.position += 1;
    let depth = 1;
    let bytes = '';
    while (this.position < this.end) {
      const character = this.source[this.position]!;
      this.position += 1;
      if (character === '\\') {
        const escaped = this.source[this.position]!;
        this.position += 1;
        if (escaped >= '0' && escaped <= '7') {
          let octal = escaped;
          while (octal.length < 3 && this.source[this.position]! >= '0' && this.source[this.position]! <= '7') {
            octal += this.source[this.position];
            this.position += 1;
          }
          bytes += String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
        } else if (escaped === 'n') bytes += '\n';
        else if (escaped === 'r') bytes += '\r';
        else if (escaped === 't') bytes += '\t';
        else if (escaped === 'b') bytes += '\b';
        else if (escaped === 'f') bytes += '\f';
        else if (escaped === '\r') {
          if (this.source[this.position] === '\n') this.position += 1;
        } else if (escaped !== '\n') bytes += escaped;
        continue;
      }
      if (character === '(') depth += 1;
      if (character === ')') {
        depth -= 1;
        if (depth === 0) break;
      }
      bytes += character;
    }
    return { bytes };
  }
}

function isOperator(token: unknown, operator?: string): token is PdfOperator {
  return typeof token === 'object' && token !== null && 'operator' in token && (operator === undefined || (token as PdfOperator).operator === operator);
}

function isClose(token: unknown): boolean {
  return typeof token === 'object' && token !== null && 'close' in token;
}

/** Parses a value and, when it is a number followed by `g R`, folds the three into a reference. */
function parseValueOrRef(lexer: PdfLexer, token: PdfToken | undefined = lexer.next()): PdfValue | PdfOperator | undefined {
  const value = parseValue(lexer, token);
  if (typeof value !== 'number' || !Number.isInteger(value)) return value;
  const resume = lexer.position;
  const generation = lexer.next();
  if (typeof generation === 'number' && isOperator(lexer.next(), 'R')) return { ref: value };
  lexer.position = resume;
  return value;
}

/**
 * Parses one value from the lexer, with `n g R` inside arrays and dictionaries folded into
 * references. Returns undefined at the end, or the operator token itself when one comes first
 * (content streams).
 */
export function parseValue(lexer: PdfLexer, token: PdfToken | undefined = lexer.next()): PdfValue | PdfOperator | undefined {
  if (token === undefined) return undefined;
  if (typeof token === 'object' && token !== null && 'open' in token) {
    if (token.open === '[') {
      const items: PdfValue[] = [];
      for (;;) {
        const next = lexer.next();
        if (next === undefined || isClose(next)) break;
        const value = parseValueOrRef(lexer, next);
        if (value !== undefined && !isOperator(value)) items.push(value);
      }
      return items;
    }
    const dict: Record<string, PdfValue> = {};
    for (;;) {
      const key = lexer.next();
      if (key === undefined || isClose(key)) break;
      if (!isName(key)) continue;
      const value = parseValueOrRef(lexer);
      if (value === undefined) break;
      if (!isOperator(value)) dict[key.name] = value;
    }
    return { dict };
  }
  if (isClose(token)) return parseValue(lexer);
  return token as PdfValue | PdfOperator;
}

/** Parses the first value of an object body, such as its dictionary. */
export function parseObjectValue(source: string, start = 0, end = source.length): PdfValue | undefined {
  const value = parseValueOrRef(new PdfLexer(source, start, end));
  return isOperator(value) ? undefined : value;
}
