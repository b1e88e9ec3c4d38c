import { describe, expect, it } from 'vitest';
import { embedLocal, LOCAL_DIMENSIONS } from '../src/embed/local.js';
import { rerankLexical } from '../src/rank/lexical.js';
import { extractAnswer } from '../src/rank/extractive.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);

describe('local embedder', () => {
  it('is deterministic and unit length', () => {
    const first = embedLocal('Parsing command line arguments');
    const second = embedLocal('Parsing command line arguments');
    const norm = Math.sqrt(first.reduce((sum, value) => sum + value * value, 0));

    expect(first).toEqual(second);
    expect(first).toHaveLength(LOCAL_DIMENSIONS);
    expect(norm).toBeCloseTo(1, 5);
  });

  it('ranks shared words and word forms closer', () => {
    const query = embedLocal('how to parse arguments');
    const related = embedLocal('The parser parses command-line arguments into options.');
    const unrelated = embedLocal('Bake the bread at high temperature for forty minutes.');

    expect(cosine(query, related)).toBeGreaterThan(cosine(query, unrelated) + 0.2);
  });

  it('embeds stop words and symbols without a zero vector', () => {
    const stopWords = embedLocal('to be or not to be');
    const symbols = embedLocal('--- *** ---');

    expect(stopWords.some((value) => value !== 0)).toBe(true);
    expect(symbols[0]).toBe(1);
  });
});

describe('lexical reranker', () => {
  it('puts the chunk with the query phrase first', () => {
    const results = rerankLexical('connection pool size', [
      { text: 'The pool of threads has a size limit.', score: 0.9 },
      { text: 'Set the connection pool size with maxConnections.', score: 0.5 },
      { text: 'Unrelated text about colours.', score: 0.7 },
    ]);

    expect(results[1]!.score).toBeGreaterThan(results[0]!.score);
    expect(results[1]!.score).toBeGreaterThan(results[2]!.score);
    expect(results[1]!.features.coverage).toBe(1);
  });
});

describe('extractive answer', () => {
  it('cites the chunk of the best sentence', () => {
    const answer = extractAnswer('What port does the server listen on?', [
      { chunkId: 'a#0', documentId: 'a', text: 'The client retries twice. It logs errors.' },
      { chunkId: 'b#2', documentId: 'b', text: 'Configuration is read at start. The server listens on port 8080 by default.' },
    ], 1);

    expect(answer.answer).toBe('The server listens on port 8080 by default.');
    expect(answer.chunkIds).toEqual(['b#2']);
  });

  it('returns no answer without shared words', () => {
    expect(extractAnswer('zebra migration', [{ chunkId: 'a#0', text: 'Nothing related.' }], 3)).toEqual({ answer: '', chunkIds: [], citations: [] });
  });
});
