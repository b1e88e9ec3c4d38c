/**
 * Chunkers. All sizes are in characters (UTF-16 code units). Chunks are spans of the parsed
 * text, so `start` and `end` point back into it. Overlap repeats the end of the previous
 * chunk, widened to a word boundary, at the start of the next.
 */
import { RagError } from '../errors.js';

export const CHUNK_STRATEGIES = ['fixed', 'recursive', 'markdown'] as const;
export type ChunkStrategy = (typeof CHUNK_STRATEGIES)[number];

export const MIN_CHUNK_SIZE = 50;
export const MAX_CHUNK_SIZE = 20_000;
export const DEFAULT_CHUNK_SIZE = 1_000;
export const DEFAULT_CHUNK_OVERLAP = 150;

export interface ChunkOptions {
  strategy: ChunkStrategy;
  chunkSize: number;
  /** At most half of chunkSize. */
  chunkOverlap: number;
}

export interface TextChunk {
  text: string;
  start: number;
  end: number;
  /** Markdown strategy: the heading path of the section the chunk starts in, outermost first. */
  headings: string[];
}

/** Separators of the recursive strategy, coarsest first. */
const SEPARATORS = ['\n\n', '\n', '. ', '? ', '! ', '; ', ', ', ' '];

/** Throws `invalid_argument` naming the option when the sizes are out of range. */
export function checkChunkOptions(options: ChunkOptions): void {
  if (!CHUNK_STRATEGIES.includes(options.strategy)) {
    throw new RagError('invalid_argument', `Chunk strategy '${String(options.strategy)}' is unknown; use one of ${CHUNK_STRATEGIES.join(', ')}.`);
  }
  if (!Number.isInteger(options.chunkSize) || options.chunkSize < MIN_CHUNK_SIZE || options.chunkSize > MAX_CHUNK_SIZE) {
    throw new RagError('invalid_argument', `chunkSize is ${options.chunkSize}; use a whole number of characters from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}.`);
  }
  if (!Number.isInteger(options.chunkOverlap) || options.chunkOverlap < 0 || options.chunkOverlap > options.chunkSize / 2) {
    throw new RagError('invalid_argument', `chunkOverlap is ${options.chunkOverlap}; use a whole number of characters from 0 to half of chunkSize (${Math.floor(options.chunkSize / 2)}).`);
  }
}

type Span = [start: number, end: number];

/** Splits [start, end) of `text` into spans of at most `size`, at the coarsest separator that works. */
function splitSpan(text: string, start: number, end: number, size: number, level: number): Span[] {
  if (end - start <= size) return [[start, end]];
  if (level >= SEPARATORS.length) {
    const spans: Span[] = [];
    for (let offset = start; offset < end; offset += size) spans.push([offset, Math.min(end, offset + size)]);
    return spans;
  }

  const separator = SEPARATORS[level]!;
  const pieces: Span[] = [];
  let pieceStart = start;
  for (let found = text.indexOf(separator, start); found >= 0 && found < end; found = text.indexOf(separator, found + separator.length)) {
    const pieceEnd = found + separator.length;
    if (pieceEnd > pieceStart) pieces.push([pieceStart, Math.min(pieceEnd, end)]);
    pieceStart = pieceEnd;
  }
  if (pieceStart < end) pieces.push([pieceStart, end]);
  if (pieces.length <= 1) return splitSpan(text, start, end, size, level + 1);

  // Pieces still too long are split finer; then neighbours are merged up to the size.
  const fine = pieces.flatMap(([pieceStart, pieceEnd]) => splitSpan(text, pieceStart, pieceEnd, size, level + 1));
  const merged: Span[] = [];
  for (const span of fine) {
    const last = merged[merged.length - 1];
    if (last && span[1] - last[0] <= size) last[1] = span[1];
    else merged.push([span[0], span[1]]);
  }
  return merged;
}

/** Moves `start` back by up to `overlap` characters, then forward to the next word start. */
function withOverlap(text: string, start: number, floor: number, overlap: number): number {
  if (overlap === 0 || start <= floor) return start;
  let widened = Math.max(floor, start - overlap);
  if (widened > floor && !/\s/.test(text[widened - 1]!)) {
    const nextSpace = text.slice(widened, start).search(/\s/);
    widened = nextSpace < 0 ? start : widened + nextSpace + 1;
  }
  return widened;
}

function toChunks(text: string, spans: Span[], overlap: number, floor: number, headings: string[]): TextChunk[] {
  const chunks: TextChunk[] = [];
  spans.forEach(([spanStart, spanEnd], index) => {
    let start = index === 0 ? spanStart : withOverlap(text, spanStart, floor, overlap);
    let end = spanEnd;
    while (start < end && /\s/.test(text[start]!)) start += 1;
    while (end > start && /\s/.test(text[end - 1]!)) end -= 1;
    if (end > start) chunks.push({ text: text.slice(start, end), start, end, headings });
  });
  return chunks;
}

export function chunkFixed(text: string, chunkSize: number, chunkOverlap: number): TextChunk[] {
  const chunks: TextChunk[] = [];
  const step = chunkSize - chunkOverlap;
  for (let start = 0; start < text.length; start += step) {
    const end = Math.min(text.length, start + chunkSize);
    const slice = text.slice(start, end);
    if (slice.trim() !== '') chunks.push({ text: slice, start, end, headings: [] });
    if (end === text.length) break;
  }
  return chunks;
}

export function chunkRecursive(text: string, chunkSize: number, chunkOverlap: number, start = 0, end = text.length, headings: string[] = []): TextChunk[] {
  // Overlap is taken from inside the chunk budget, so a chunk with its overlap stays within chunkSize.
  const spans = splitSpan(text, start, end, chunkSize - chunkOverlap, 0);
  return toChunks(text, spans, chunkOverlap, start, headings);
}

interface Section {
  start: number;
  end: number;
  headings: string[];
}

/** Splits Markdown into sections at ATX headings (`#` … `######`) outside fenced code blocks. */
export function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const path: Array<{ level: number; title: string }> = [];
  let fence: string | null = null;
  let sectionStart = 0;
  let sectionHeadings: string[] = [];
  let offset = 0;

  for (const line of text.split('\n')) {
    const lineStart = offset;
    offset += line.length + 1;
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1]![0]!;
      else if (fenceMatch[1]![0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^\s{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$/.exec(line);
    if (!heading) continue;

    if (lineStart > sectionStart) sections.push({ start: sectionStart, end: lineStart, headings: sectionHeadings });
    const level = heading[1]!.length;
    while (path.length > 0 && path[path.length - 1]!.level >= level) path.pop();
    path.push({ level, title: heading[2]!.trim() });
    sectionStart = lineStart;
    sectionHeadings = path.map((entry) => entry.title);
  }
  if (text.length > sectionStart) sections.push({ start: sectionStart, end: text.length, headings: sectionHeadings });
  return sections.filter((section) => text.slice(section.start, section.end).trim() !== '');
}

/**
 * Chunks Markdown section by section, so a chunk never spans two sections unless both are
 * small: neighbouring sections are merged while they fit in one chunk. Long sections are
 * split recursively.
 */
export function chunkMarkdown(text: string, chunkSize: number, chunkOverlap: number): TextChunk[] {
  const merged: Section[] = [];
  for (const section of markdownSections(text)) {
    const last = merged[merged.length - 1];
    if (last && section.end - last.start <= chunkSize - chunkOverlap) last.end = section.end;
    else merged.push({ ...section });
  }
  return merged.flatMap((section) => chunkRecursive(text, chunkSize, chunkOverlap, section.start, section.end, section.headings));
}

export function chunkText(text: string, options: ChunkOptions): TextChunk[] {
  checkChunkOptions(options);
  if (options.strategy === 'fixed') return chunkFixed(text, options.chunkSize, options.chunkOverlap);
  if (options.strategy === 'markdown') return chunkMarkdown(text, options.chunkSize, options.chunkOverlap);
  return chunkRecursive(text, options.chunkSize, options.chunkOverlap);
}

/** Stable id of a chunk: the document id and the chunk's position, so re-ingesting a document replaces its chunks. */
export function chunkId(documentId: string, position: number): string {
  return `${documentId}#${position}`;
}
