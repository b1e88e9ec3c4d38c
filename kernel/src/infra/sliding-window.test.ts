import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './sliding-window.js';

describe('SlidingWindow', () => {
  it('counts exactly across ring growth and wrap-around', () => {
    const window = new SlidingWindow(100);
    // 50 hits, one per 10 ms: the buffer grows from 8 slots and wraps as old hits leave.
    const results = Array.from({ length: 50 }, (_, i) => window.hit(i * 10, 20, 100));

    expect(results.every((result) => result.allowed)).toBe(true);
    // At t = 490 the window contains the ten hits at 400..490.
    expect(results[49]!.remaining).toBe(10);
  });

  it('rejects at the limit without recording the rejected hit', () => {
    const window = new SlidingWindow(1_000);
    for (let i = 0; i < 3; i++) window.hit(i, 3, 1_000);

    const rejected = window.hit(10, 3, 1_000);
    const again = window.hit(20, 3, 1_000);

    expect(rejected.allowed).toBe(false);
    expect(again.allowed).toBe(false);
    expect(window.newestHit).toBe(2);
  });

  it('reports the wait until the blocking hit leaves', () => {
    const window = new SlidingWindow(1_000);
    for (let i = 0; i < 20; i++) window.hit(i * 10, 20, 1_000);

    const rejected = window.hit(500, 20, 1_000);

    // The oldest hit (t = 0) leaves at t = 1000, the newest (t = 190) at t = 1190.
    expect(rejected.retryAfterMs).toBe(500);
    expect(rejected.resetMs).toBe(690);
  });

  it('finds the blocking hit after the limit was lowered', () => {
    const window = new SlidingWindow(1_000);
    for (let i = 0; i < 10; i++) window.hit(i * 10, 10, 1_000);

    const rejected = window.hit(100, 4, 1_000);

    // Ten hits are held and the limit is 4, so the count drops below it once the 7th oldest (t = 60) leaves.
    expect(rejected.allowed).toBe(false);
    expect(rejected.retryAfterMs).toBe(960);
  });

  it('counts a hit for exactly windowMs', () => {
    const window = new SlidingWindow(100);
    window.hit(0, 1, 100);

    expect(window.hit(99, 1, 100).allowed).toBe(false);
    expect(window.hit(100, 1, 100).allowed).toBe(true);
  });

  it('empties when every hit has left', () => {
    const window = new SlidingWindow(100);
    for (let i = 0; i < 30; i++) window.hit(i, 100, 100);

    const result = window.hit(1_000, 100, 100);

    expect(result.remaining).toBe(99);
    expect(result.resetMs).toBe(100);
    expect(window.newestHit).toBe(1_000);
  });
});
