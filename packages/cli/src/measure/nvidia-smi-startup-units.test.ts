// `eff measure` with nvidia-smi spellings and timings real drivers produce: a slow first row, power printed with its unit.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import type { MeasureResult } from './report.js';

const BIN = fileURLToPath(new URL('../../test/fixtures/breaker-bin', import.meta.url));
const UNITS = fileURLToPath(new URL('../../test/fixtures/breaker-bin/units.tsv', import.meta.url));

// the fake's two GPUs draw 100 W + 50 W
const TOTAL_W = 150;

describe('eff measure on nvidia-smi output real drivers print', () => {
  it('a -lms loop that needs 3 s before its first row (driver start-up) still measures, not a stall', async () => {
    // nvidia-smi without persistence mode spends seconds initialising the driver before its first row; with the
    // stall limit (max(2000, 5·interval) ms) armed at spawn the probe was killed as "hung" and reported 0 J, exit 0
    const r = await runEff(
      ['measure', '--probe', 'nvidia-smi', '--interval', '100', '--json', '--', 'sleep', '5'],
      { PATH: `${BIN}:${process.env.PATH}`, FAKE_START_DELAY_MS: '3000' },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const gpu = result.probes.find((p) => p.name === 'nvidia-smi');
    expect(gpu?.errors ?? []).toEqual([]);
    expect(gpu?.sampleCount ?? 0).toBeGreaterThan(0);
    expect(result.energyJ.total).toBeGreaterThan(0);
  }, 60_000);

  it('power printed with its unit ("100.00 W") is read as watts, not as a bad reading', async () => {
    // some drivers keep the unit in a field although `nounits` was asked; read as "not a number of watts", both
    // GPUs would be lost after three readings and the result would be 0 J with exit 0
    const r = await runEff(
      ['measure', '--probe', 'nvidia-smi', '--interval', '100', '--json', '--', 'sleep', '1'],
      { PATH: `${BIN}:${process.env.PATH}`, FAKE_SCENARIO: UNITS },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const expectedJ = (TOTAL_W * result.durationMs) / 1000;
    expect(Math.abs(result.energyJ.total - expectedJ)).toBeLessThanOrEqual(0.05 * expectedJ);
    expect(result.degraded).toBe(false);
  }, 60_000);
});
