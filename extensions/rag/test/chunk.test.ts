import { describe, expect, it } from 'vitest';
import { chunkFixed, chunkId, chunkMarkdown, chunkRecursive, chunkText, markdownSections } from '../src/chunk/index.js';

const PARAGRAPHS = Array.from({ length: 12 }, (_, index) => `Paragraph ${index} talks about topic ${index}. It has two sentences of moderate length here.`).join('\n\n');

describe('fixed chunker', () => {
  it('cuts windows with overlap', () => {
    const chunks = chunkFixed('abcdefghij', 4, 1);

    expect(chunks.map((chunk) => chunk.text)).toEqual(['abcd', 'defg', 'ghij']);
    expect(chunks.map((chunk) => chunk.start)).toEqual([0, 3, 6]);
  });
});

describe('recursive chunker', () => {
  it('keeps every chunk within the size', () => {
    const chunks = chunkRecursive(PARAGRAPHS, 200, 40);

    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(200);
  });

  it('splits at paragraph boundaries first', () => {
    const chunks = chunkRecursive(PARAGRAPHS, 200, 0);

    for (const chunk of chunks) expect(chunk.text.startsWith('Paragraph')).toBe(true);
  });

  it('points spans back into the text', () => {
    for (const chunk of chunkRecursive(PARAGRAPHS, 150, 30)) expect(PARAGRAPHS.slice(chunk.start, chunk.end)).toBe(chunk.text);
  });

  it('repeats the end of the previous chunk', () => {
    const chunks = chunkRecursive(PARAGRAPHS, 200, 60);

    expect(chunks[1]!.start).toBeLessThan(chunks[0]!.end);
    expect(chunks[0]!.text.endsWith(chunks[1]!.text.slice(0, chunks[0]!.end - chunks[1]!.start))).toBe(true);
  });

  it('covers the whole text', () => {
    const chunks = chunkRecursive(PARAGRAPHS, 120, 0);
    const covered = chunks.map((chunk) => chunk.text).join(' ');

    for (let index = 0; index < 12; index += 1) expect(covered).toContain(`Paragraph ${index} talks`);
  });

  it('splits a long word by characters', () => {
    const chunks = chunkRecursive('x'.repeat(250), 100, 0);

    expect(chunks.map((chunk) => chunk.text.length)).toEqual([100, 100, 50]);
  });
});

describe('markdown chunker', () => {
  const markdown = '# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n```sh\n# not a heading\nnpm i\n```\n\n## Usage\n\n### Options\n\n' + 'Option text. '.repeat(30);

  it('finds sections outside code fences', () => {
    const sections = markdownSections(markdown);

    expect(sections.map((section) => section.headings)).toEqual([['Guide'], ['Guide', 'Install'], ['Guide', 'Usage'], ['Guide', 'Usage', 'Options']]);
  });

  it('records the heading path of each chunk', () => {
    const chunks = chunkMarkdown(markdown, 200, 20);

    expect(chunks[0]!.headings).toEqual(['Guide']);
    expect(chunks.at(-1)!.headings).toEqual(['Guide', 'Usage', 'Options']);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(200);
  });

  it('starts a chunk at a large section', () => {
    const chunks = chunkMarkdown(markdown, 200, 20);

    expect(chunks.some((chunk) => chunk.text.startsWith('### Options'))).toBe(true);
  });
});

describe('chunk options', () => {
  it('rejects an overlap over half the size', () => {
    expect(() => chunkText('text', { strategy: 'recursive', chunkSize: 100, chunkOverlap: 60 })).toThrow('chunkOverlap is 60; use a whole number of characters from 0 to half of chunkSize (50).');
  });

  it('rejects a size under the minimum', () => {
    expect(() => chunkText('text', { strategy: 'fixed', chunkSize: 10, chunkOverlap: 0 })).toThrow('chunkSize is 10; use a whole number of characters from 50 to 20000.');
  });

  it('gives stable ids', () => {
    expect(chunkId('guide', 3)).toBe('guide#3');
  });
});
