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

  it('a loadScope other than machine or process is E_PROBE_CONFIG naming it; both named ones are accepted', () => {
    let caught: unknown;
    try {
      estimateProbe({ loadScope: 'gpu' as never });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProbeError);
    expect(caught).toMatchObject({ code: 'E_PROBE_CONFIG' });
    expect((caught as Error).message).toBe(`estimate: loadScope must be 'machine' or 'process', got "gpu"`);
    expect(estimateProbe({ loadScope: 'process' }).estimate?.loadScope).toBe('process');
    expect(estimateProbe({ loadScope: 'machine' }).estimate?.loadScope).toBe('machine');
  });

  it('its assumptions are on probe.estimate: the defaults, or the options given', () => {
    expect(estimateProbe().estimate).toStrictEqual({ tdpW: 85, ramWPerGB: 0.375, loadScope: 'machine' });
    expect(estimateProbe({ tdpW: 35, ramWPerGB: 0.5, loadScope: 'process' }).estimate).toStrictEqual({
      tdpW: 35,
      ramWPerGB: 0.5,
      loadScope: 'process',
    });
  });
});
