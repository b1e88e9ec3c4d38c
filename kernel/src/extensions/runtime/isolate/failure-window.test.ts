import { describe, expect, it } from 'vitest';

import { FailureWindow } from './failure-window.js';

function windowWithClock(maxFailures: number, windowMs: number): { window: FailureWindow; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const window = new FailureWindow({ maxFailures, windowMs, now: () => clock.now });
  return { window, clock };
}

describe('FailureWindow', () => {
  it('stays healthy below maxFailures', () => {
    const { window } = windowWithClock(3, 60_000);

    expect(window.record()).toBe(true);
    expect(window.record()).toBe(true);
    expect(window.healthy).toBe(true);
    expect(window.failureCount).toBe(2);
  });

  it('turns unhealthy at maxFailures within the window', () => {
    const { window, clock } = windowWithClock(3, 60_000);

    window.record();
    clock.now += 10_000;
    window.record();
    clock.now += 10_000;

    expect(window.record()).toBe(false);
    expect(window.healthy).toBe(false);
  });

  it('ignores failures older than the window', () => {
    const { window, clock } = windowWithClock(3, 60_000);

    window.record();
    window.record();
    clock.now += 60_001;

    expect(window.record()).toBe(true);
    expect(window.failureCount).toBe(1);
  });

  it('recovers once old failures leave the window', () => {
    const { window, clock } = windowWithClock(2, 1_000);
    window.record();
    window.record();
    expect(window.healthy).toBe(false);

    clock.now += 1_001;

    expect(window.healthy).toBe(true);
    expect(window.failureCount).toBe(0);
  });

  it('slides with steady failures', () => {
    const { window, clock } = windowWithClock(2, 1_000);
    const healthyAfterEach: boolean[] = [];

    for (let index = 0; index < 5; index++) {
      healthyAfterEach.push(window.record());
      clock.now += 600;
    }

    // Each failure has its predecessor 600 ms back, inside the 1 000 ms window.
    expect(healthyAfterEach).toEqual([true, false, false, false, false]);
    clock.now += 1_000;
    expect(window.healthy).toBe(true);
  });

  it('reset forgets every failure', () => {
    const { window } = windowWithClock(1, 1_000);
    window.record();

    window.reset();

    expect(window.healthy).toBe(true);
    expect(window.failureCount).toBe(0);
  });

  it('rejects invalid options', () => {
    expect(() => new FailureWindow({ maxFailures: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new FailureWindow({ maxFailures: 1.5, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new FailureWindow({ maxFailures: 3, windowMs: 0 })).toThrow(RangeError);
    expect(() => new FailureWindow({ maxFailures: 3, windowMs: Number.NaN })).toThrow(RangeError);
  });
});
