// counter-check.ts's bounds and messages at their boundaries, computed by hand (Stryker survivors of powerBoundW
// and judgeCounterStep, which only the meter's scenarios reached before).
import { describe, expect, it } from 'vitest';
import { isFrozen, judgeCounterStep, powerBoundW } from './counter-check.js';

describe('powerBoundW', () => {
  it('1.5 × a positive power limit; without one (or a limit of 0) the generous bound per component', () => {
    expect(powerBoundW('gpu', 200)).toEqual({ boundW: 300, why: '1.5 × its power limit of 200 W' });
    expect(powerBoundW('gpu', 0)).toEqual({ boundW: 3000, why: 'the 3000 W no gpu draws' });
    expect(powerBoundW('gpu')).toEqual({ boundW: 3000, why: 'the 3000 W no gpu draws' });
    expect(powerBoundW('cpu').boundW).toBe(2000);
    expect(powerBoundW('ram').boundW).toBe(1000);
    expect(powerBoundW('system', -5)).toEqual({ boundW: 100_000, why: 'the 100000 W no system draws' });
  });
});

describe('judgeCounterStep', () => {
  const step = { dtMs: 1000, component: 'gpu' as const };

  it('a rise is its difference; a fall with a range is one wrap (range - from + to)', () => {
    expect(judgeCounterStep({ ...step, fromJ: 10, toJ: 25 })).toEqual({ deltaJ: 15 });
    expect(judgeCounterStep({ ...step, fromJ: 10, toJ: 10 })).toEqual({ deltaJ: 0 });
    expect(judgeCounterStep({ ...step, fromJ: 90, toJ: 10, rangeJ: 100 })).toEqual({ deltaJ: 20 });
  });

  it('a reading above the range is an input error; exactly at the wrap point is a zero step', () => {
    expect(judgeCounterStep({ ...step, fromJ: 50, toJ: 5, rangeJ: 40 })).toEqual({
      error: 'was 50 J, above its rangeJ 40',
    });
    // 40 - 50 + 10 = 0: not negative, so a (zero) step, not an error
    expect(judgeCounterStep({ ...step, fromJ: 50, toJ: 10, rangeJ: 40 })).toEqual({ deltaJ: 0 });
  });

  it('a fall without a range is a counter-decrease rejection', () => {
    expect(judgeCounterStep({ ...step, fromJ: 30, toJ: 20 })).toEqual({
      rejection: {
        kind: 'counter-decrease',
        message: 'energy counter went down from 30 J to 20 J and its range is unknown',
      },
    });
  });

  it('implied power is judged over at least 20 ms; exactly the bound is believed, above it is not', () => {
    // 3 J over max(1, 20) ms = 150 W = 1.5 × 100 W: believed
    expect(judgeCounterStep({ fromJ: 0, toJ: 3, dtMs: 1, component: 'gpu', powerLimitW: 100 })).toEqual({
      deltaJ: 3,
    });
    // 3.1 J: 155 W
    expect(judgeCounterStep({ fromJ: 0, toJ: 3.1, dtMs: 1, component: 'gpu', powerLimitW: 100 })).toEqual({
      rejection: {
        kind: 'counter-implausible',
        message: 'energy counter rose by 3.1 J in 1 ms (155 W), more than 1.5 × its power limit of 100 W',
      },
    });
    // over a long step the time itself is used: 301 J in 1000 ms = 301 W > 300 W
    expect(judgeCounterStep({ fromJ: 0, toJ: 301, dtMs: 1000, component: 'gpu', powerLimitW: 200 })).toEqual({
      rejection: {
        kind: 'counter-implausible',
        message: 'energy counter rose by 301 J in 1000 ms (301 W), more than 1.5 × its power limit of 200 W',
      },
    });
    expect(judgeCounterStep({ fromJ: 0, toJ: 300, dtMs: 1000, component: 'gpu', powerLimitW: 200 })).toEqual({
      deltaJ: 300,
    });
    // messages round to 0.1: 3001.26 J in 1000.04 ms
    const r = judgeCounterStep({ fromJ: 0, toJ: 3001.26, dtMs: 1000.04, component: 'gpu' });
    expect(r).toEqual({
      rejection: {
        kind: 'counter-implausible',
        message: 'energy counter rose by 3001.3 J in 1000 ms (3001.1 W), more than the 3000 W no gpu draws',
      },
    });
  });
});

describe('isFrozen', () => {
  it('a zero step while power averages at least 1 W', () => {
    expect(isFrozen(0, 1)).toBe(true);
    expect(isFrozen(0, 0.999)).toBe(false);
    expect(isFrozen(0, null)).toBe(false);
    expect(isFrozen(0.001, 50)).toBe(false);
  });
});
