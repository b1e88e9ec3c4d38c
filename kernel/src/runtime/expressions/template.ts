/**
 * Parsing of parameter strings into templates. Pure string work: nothing here runs an
 * expression, so the executor can call it without touching the sandbox.
 *
 * Rules (see README.md beside this file):
 * - A string that starts with `=` (n8n's form) is a template, and the `=` is dropped.
 * - Any other string is a template when it contains `{{`, and a literal otherwise.
 * - In a template, `{{ expression }}` is a JavaScript expression and `\{{` is a literal `{{`.
 * - A template that is exactly one `{{ expression }}`, with only whitespace around it, keeps
 *   the type of the expression's value. Any other template produces a string.
 */

/** One `{{ … }}` inside a template. */
export interface TemplateExpression {
  /** The JavaScript text between the braces, with its surrounding whitespace. */
  source: string;
  /** Offset of the opening `{{` in the parameter string, counting from 0. */
  offset: number;
}

export type ParsedTemplate =
  /** No expression inside, for example `=Hello` or `a \{{ b`: the value is this text. */
  | { kind: 'text'; text: string }
  /** Exactly one expression with only whitespace around it: the value keeps its type. */
  | { kind: 'single'; expression: TemplateExpression }
  /** Literal text and expressions, joined into one string. */
  | { kind: 'mixed'; parts: Array<string | TemplateExpression> }
  /** The template cannot be parsed, and `message` explains why and where. */
  | { kind: 'invalid'; message: string };

/** Largest expression between one pair of braces, in UTF-16 code units. */
export const MAX_EXPRESSION_CHARS = 65_536;

const EQUALS = 0x3d;

/**
 * Returns whether resolving `text` could change it: it starts with `=` or contains `{{`.
 * Cheap enough to run on every string of every node, so the executor can skip the
 * evaluator for nodes without expressions.
 */
export function isTemplate(text: string): boolean {
  return text.charCodeAt(0) === EQUALS || text.includes('{{');
}

/**
 * Parses a parameter string. Returns null for a literal, which resolves to itself.
 *
 * @example
 * parseTemplate('={{ $json.id }}');
 * // → { kind: 'single', expression: { source: ' $json.id ', offset: 1 } }
 * parseTemplate('Hello {{ $json.name }}!');
 * // → { kind: 'mixed', parts: ['Hello ', { source: ' $json.name ', offset: 6 }, '!'] }
 */
export function parseTemplate(text: string): ParsedTemplate | null {
  if (!isTemplate(text)) return null;

  const base = text.charCodeAt(0) === EQUALS ? 1 : 0;
  const parts: Array<string | TemplateExpression> = [];
  let literal = '';
  let index = base;

  while (index < text.length) {
    if (text.startsWith('\\{{', index)) {
      literal += '{{';
      index += 3;
      continue;
    }

    if (!text.startsWith('{{', index)) {
      literal += text[index];
      index++;
      continue;
    }

    const end = findExpressionEnd(text, index + 2);
    if (end < 0) {
      return {
        kind: 'invalid',
        message: `the {{ at position ${index} has no matching }}; close the expression with }}, or write \\{{ for a literal {{`,
      };
    }

    const source = text.slice(index + 2, end);
    if (source.trim() === '') {
      return { kind: 'invalid', message: `the expression at position ${index} is empty; write a JavaScript expression between {{ and }}` };
    }
    if (source.length > MAX_EXPRESSION_CHARS) {
      return {
        kind: 'invalid',
        message: `the expression at position ${index} is ${source.length} characters long, more than the limit of ${MAX_EXPRESSION_CHARS}; split it into smaller expressions`,
      };
    }

    parts.push(literal, { source, offset: index });
    literal = '';
    index = end + 2;
  }
  parts.push(literal);

  return classify(parts);
}

/** Formats an expression as it appears in the parameter, for error messages. */
export function displayExpression(expression: TemplateExpression): string {
  return `{{${expression.source}}}`;
}

function classify(parts: Array<string | TemplateExpression>): ParsedTemplate {
  // `parts` alternates literal, expression, literal, …, and starts and ends with a literal.
  if (parts.length === 1) return { kind: 'text', text: parts[0] as string };

  const [before, expression, after] = parts;
  if (parts.length === 3 && isBlank(before as string) && isBlank(after as string)) {
    return { kind: 'single', expression: expression as TemplateExpression };
  }

  return { kind: 'mixed', parts: parts.filter((part) => part !== '') };
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

/**
 * Returns the index of the `}}` that closes an expression starting at `start`, or -1.
 *
 * The scan handles enough JavaScript syntax to skip `}}` inside string literals, template literals
 * (including `${ … }`), comments and object literals, so `{{ { a: { b: 1 }} }}` and
 * `{{ "}}" }}` work. A `//` comment ends at a newline or at `}}`, because a one-line
 * template has no newline to end it.
 *
 * NOTE: a regular expression literal is recognised by the character before the `/`
 * (an operator or an opening bracket). After `)` or an identifier a `/` is taken as a
 * division, which is what JavaScript does too, except after keywords such as `return`.
 */
function findExpressionEnd(text: string, start: number): number {
  // One entry per nesting level: the brace depth inside code, or -1 for a template literal.
  const stack: number[] = [0];
  let previous = '';
  let index = start;

  while (index < text.length) {
    const top = stack[stack.length - 1]!;
    const char = text[index]!;

    if (top === -1) {
      // Inside a template literal.
      if (char === '\\') {
        index += 2;
      } else if (char === '`') {
        stack.pop();
        previous = '`';
        index++;
      } else if (char === '$' && text[index + 1] === '{') {
        stack.push(0);
        index += 2;
        previous = '{';
      } else {
        index++;
      }
      continue;
    }

    if (char === '"' || char === "'") {
      index = skipQuoted(text, index, char);
      if (index < 0) return -1;
      previous = char;
      continue;
    }
    if (char === '`') {
      stack.push(-1);
      index++;
      continue;
    }
    if (char === '/' && text[index + 1] === '*') {
      const close = text.indexOf('*/', index + 2);
      if (close < 0) return -1;
      index = close + 2;
      continue;
    }
    if (char === '/' && text[index + 1] === '/') {
      index = skipLineComment(text, index, stack.length === 1 && top === 0);
      continue;
    }
    if (char === '/' && startsRegExp(previous)) {
      index = skipRegExp(text, index);
      if (index < 0) return -1;
      previous = '/';
      continue;
    }

    if (char === '{') {
      stack[stack.length - 1] = top + 1;
    } else if (char === '}') {
      if (stack.length === 1 && top === 0 && text[index + 1] === '}') return index;
      if (top > 0) {
        stack[stack.length - 1] = top - 1;
      } else if (stack.length > 1) {
        // Closes a `${ … }` of a template literal.
        stack.pop();
      }
    }

    if (char.trim() !== '') previous = char;
    index++;
  }

  return -1;
}

/** Returns the index after the closing quote, or -1 when the string is not closed. */
function skipQuoted(text: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') {
      index += 2;
    } else if (char === quote) {
      return index + 1;
    } else {
      index++;
    }
  }
  return -1;
}

/** Returns the index of the newline, or of a `}}` at the top level, that ends a `//` comment. */
function skipLineComment(text: string, start: number, atTopLevel: boolean): number {
  let index = start + 2;
  while (index < text.length && text[index] !== '\n') {
    if (atTopLevel && text.startsWith('}}', index)) return index;
    index++;
  }
  return index;
}

function startsRegExp(previous: string): boolean {
  return previous === '' || '(,=:[!&|?{};+-*%<>~^'.includes(previous);
}

/** Returns the index after a regular expression literal and its flags, or -1 when it is not closed. */
function skipRegExp(text: string, start: number): number {
  let index = start + 1;
  let inClass = false;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') {
      index += 2;
      continue;
    }
    if (char === '\n') return -1;
    if (char === '[') inClass = true;
    else if (char === ']') inClass = false;
    else if (char === '/' && !inClass) {
      index++;
      while (index < text.length && /[a-z]/i.test(text[index]!)) index++;
      return index;
    }
    index++;
  }
  return -1;
}
