import { describe, expect, it } from 'vitest';
import { anyWordTsQuery, cosineSimilarity, fuseByRrf, selectByMmr } from './ranking.js';

describe('selectByMmr', () => {
  it('skips a near-duplicate', () => {
    const picked = selectByMmr([{ relevance: 0.9, vector: [1, 0] }, { relevance: 0.89, vector: [1, 0.01] }, { relevance: 0.5, vector: [0, 1] }], 2, 0.5);

    expect(picked.map((entry) => entry.index)).toEqual([0, 2]);
  });

  it('keeps relevance order at lambda 1', () => {
    const picked = selectByMmr([{ relevance: 0.2, vector: [1, 0] }, { relevance: 0.9, vector: [1, 0] }, { relevance: 0.5, vector: [1, 0] }], 3, 1);

    expect(picked.map((entry) => entry.index)).toEqual([1, 2, 0]);
  });
});

describe('fuseByRrf', () => {
  it('ranks ids in both lists first', () => {
    const fused = fuseByRrf([['a', 'b'], ['b', 'c']]);

    expect(fused.map((entry) => entry.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.ranks).toEqual([2, 1]);
    expect(fused[2]!.ranks).toEqual([null, 2]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 10);
  });
});

describe('anyWordTsQuery', () => {
  it('joins words with OR and drops syntax', () => {
    expect(anyWordTsQuery("How do I 'parse' a:b & c|d?")).toBe('how | do | i | parse | a | b | c | d');
  });

  it('returns null without words', () => {
    expect(anyWordTsQuery(' &! ')).toBeNull();
  });
});

describe('cosineSimilarity', () => {
  it('is zero for a zero vector', () => {
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
  });
});
