// The sampling interval's upper bound (one hour) on eff measure --interval, the grid's intervalMs and measureEfficiency.
import { MeasureError, measureEfficiency } from '@eff/core';
import { MAX_INTERVAL_MS } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { validateGridConfig } from '../grid/load.js';

// Probes wait 5 × the interval for a stalled tool; above 2^31 − 1 ms Node fires such a timer after 1 ms (with a
// TimeoutOverflowWarning), so `--interval 1e9` used to print two warnings and measure nothing, exit 0.
describe('sampling interval above one hour', () => {
  it('eff measure --interval 1e9 is a usage error (exit 2) naming the bound, before the command runs', async () => {
    const r = await runEff(['measure', '--interval', '1e9', '--', process.execPath, '-e', 'process.exit(7)']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `expected a positive integer (ms) up to ${MAX_INTERVAL_MS} (one hour), got '1e9'.`,
    );
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
  }, 60_000);

  it('a grid with intervalMs above one hour is an invalid config; one hour itself is accepted', () => {
    const grid = {
      datasets: ['mnist'],
      architectures: ['lenet'],
      sizes: [1],
      criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
    };
    expect(() => validateGridConfig({ ...grid, intervalMs: MAX_INTERVAL_MS + 1 }, 'g.yaml')).toThrow(
      /intervalMs/,
    );
    expect(validateGridConfig({ ...grid, intervalMs: MAX_INTERVAL_MS }, 'g.yaml').intervalMs).toBe(
      MAX_INTERVAL_MS,
    );
  });

  it('measureEfficiency({ intervalMs: 1e9 }) throws E_MEASURE_OPTIONS', () => {
    let err: unknown;
    try {
      measureEfficiency({
        config: { architecture: 'net', size: 1, dataset: 'synthetic' },
        intervalMs: 1e9,
        log: false,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MeasureError);
    expect((err as MeasureError).code).toBe('E_MEASURE_OPTIONS');
    expect((err as MeasureError).message).toMatch(/≤ 3600000 \(one hour\), found 1000000000/);
  });
});
