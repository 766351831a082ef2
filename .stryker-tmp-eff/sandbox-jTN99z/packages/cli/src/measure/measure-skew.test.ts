// @ts-nocheck
// `eff measure` end to end on two healthy GPUs whose readings arrive a few ms apart (fake nvidia-smi first on PATH).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import type { MeasureResult } from './report.js';

const SKEW_BIN = fileURLToPath(new URL('../../test/fixtures/skew-bin', import.meta.url));

describe('eff measure: start/end skew between GPUs is not a gap', () => {
  it('two GPUs at 100 W read 8 ms apart: 200 W × duration within 5 %, not degraded, no gaps', async () => {
    const r = await runEff(
      ['measure', '--probe', 'nvidia-smi', '--interval', '100', '--json', '--', 'sleep', '0.5'],
      {
        PATH: `${SKEW_BIN}:${process.env.PATH}`,
        FAKE_ROW_GAP_MS: '8',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const gpu = result.probes.find((p) => p.name === 'nvidia-smi');
    expect(gpu?.gaps).toEqual([]);
    expect(result.degraded).toBe(false);
    const expectedJ = (200 * result.durationMs) / 1000;
    expect(Math.abs(result.energyJ.total - expectedJ)).toBeLessThanOrEqual(0.05 * expectedJ);
    expect(gpu?.intervalMs).toBe(100);
    expect(gpu?.deviceReports.map((d) => [d.deviceId, d.status, d.uncoveredMs])).toEqual([
      ['gpu0', 'measured', 0],
      ['gpu1', 'measured', 0],
    ]);
  });
});
