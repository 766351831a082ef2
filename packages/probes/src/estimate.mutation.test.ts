// Kills Stryker's survivors in estimate.ts's option checks: each bad option is a typed E_PROBE_CONFIG naming it.
import { describe, expect, it } from 'vitest';
import { ProbeError } from './errors.js';
import { estimateProbe } from './estimate.js';

describe('estimateProbe option checks', () => {
  it('a negative ramWPerGB is E_PROBE_CONFIG naming the option and the value', () => {
    let caught: unknown;
    try {
      estimateProbe({ ramWPerGB: -0.5 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProbeError);
    expect(caught).toMatchObject({ code: 'E_PROBE_CONFIG' });
    expect((caught as Error).message).toBe('estimate: ramWPerGB must be >= 0, got -0.5');
  });

  it('ramWPerGB of exactly 0 is allowed (RAM left out of the estimate)', () => {
    expect(estimateProbe({ ramWPerGB: 0 }).name).toBe('estimate');
  });

  it('a tdpW of 0 is E_PROBE_CONFIG with its message (the bound is > 0)', () => {
    expect(() => estimateProbe({ tdpW: 0 })).toThrow('estimate: tdpW must be > 0, got 0');
  });
});
