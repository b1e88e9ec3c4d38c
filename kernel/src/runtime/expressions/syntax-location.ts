import type ivm from 'isolated-vm';

import { EXPRESSION_BODY_PREFIX, EXPRESSION_BODY_SUFFIX, EXPRESSION_PARAMETERS } from './sandbox-source.js';

/** Filename of expressions compiled again to locate a syntax error. */
const EXPRESSION_FILENAME = 'expression';

/** Position of a syntax error inside an expression's source, counting lines and columns from 1. */
export interface SyntaxErrorLocation {
  line: number;
  column: number;
  /** The error lies past the last character, e.g. `1 +`. */
  atEnd: boolean;
}

/**
 * Compiles an expression in `isolate` without running it, and returns where V8 reports its
 * syntax error, if it does. The sandbox compiles with the Function constructor, whose
 * SyntaxError has no position; isolated-vm's compileScript adds one to the message.
 */
export async function locateSyntaxError(isolate: ivm.Isolate, source: string): Promise<SyntaxErrorLocation | undefined> {
  const text = `(function (${EXPRESSION_PARAMETERS.join(', ')}) {${EXPRESSION_BODY_PREFIX}${source}${EXPRESSION_BODY_SUFFIX}\n})`;
  try {
    const script = await isolate.compileScript(text, { filename: EXPRESSION_FILENAME });
    script.release();
    return undefined;
  } catch (error) {
    return parseLocation(error, source);
  }
}

/** Reads `[expression:LINE:COLUMN]` from an isolated-vm compile error and maps it into the expression's source. */
function parseLocation(error: unknown, source: string): SyntaxErrorLocation | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /\[expression:(\d+):(\d+)\]$/.exec(message);
  if (match === null) return undefined;

  // Line 1 contains the function head and "use strict", line 2 `return (`, and the source starts on line 3.
  const line = Number(match[1]) - 2;
  const column = Number(match[2]);
  const sourceLines = source.split('\n');
  if (line < 1) return undefined;
  if (line > sourceLines.length) {
    const last = sourceLines[sourceLines.length - 1] ?? '';
    return { line: sourceLines.length, column: last.length + 1, atEnd: true };
  }
  return { line, column, atEnd: false };
}
