// The command lines nvidiaSmiProbe gives nvidia-smi (seen at the process boundary through onSpawn's child), so
// that dropping a format flag its parser is written for cannot pass unnoticed (issue 18's `nounits` mutation).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { nvidiaSmiProbe } from './nvidia-smi.js';

// The strict fake (two GPUs, 71.23 W and 254.80 W), named by path so no PATH is changed for other tests.
const fakeBin = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin', 'nvidia-smi');

/**
 * A probe on the fake that records the arguments of every nvidia-smi it starts: what follows the binary's path,
 * since a long-running child may be started through a lifetime guard (`setpriv --pdeathsig KILL -- nvidia-smi …`).
 */
function recordingProbe(gpus?: number[]) {
  const argv: string[][] = [];
  const probe = nvidiaSmiProbe({
    binary: fakeBin,
    env: {},
    ...(gpus ? { gpus } : {}),
    onSpawn: (c: ChildProcess) => argv.push(c.spawnargs.slice(c.spawnargs.indexOf(fakeBin) + 1)),
  });
  return { probe, argv };
}

describe('nvidiaSmiProbe: the arguments it gives nvidia-smi', () => {
  it('every --query-gpu asks for csv,noheader,nounits; the sampling loop for the selected GPU at the interval', async () => {
    const { probe, argv } = recordingProbe([1]);
    expect(await probe.check()).toMatchObject({ available: true, devices: ['gpu1'] });
    const readings = await lastValueFrom(probe.samples({ intervalMs: 100 }).pipe(take(3), toArray()));
    // gpu1's row as the fake prints it with nounits: 254.80, read as 254.8 W
    expect(readings.filter((e) => e.kind === 'power').map((e) => (e as { powerW: number }).powerW)).toEqual([
      254.8, 254.8,
    ]);
    const queries = argv.filter((a) => a.some((x) => x.startsWith('--query-gpu=')));
    // listing (check), one reading (check), listing (samples), the -lms loop
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const q of queries) expect(q).toContain('--format=csv,noheader,nounits');
    expect(queries.at(-1)).toEqual([
      '-i',
      'GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      '--query-gpu=index,uuid,power.draw.instant',
      '--format=csv,noheader,nounits',
      '-lms',
      '100',
    ]);
  });
});
