// SIGTERM in the middle of an epoch (scancel, a time limit) stops the run without recording it, even under a criterion
// that needs the epoch's validation accuracy (earlyStopping): the interrupted epoch has none.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, spawnEff } from '../../test/spawn-cli.js';

const GRID = `
name: sigterm
datasets: [mnist]
architectures: [lenet]
sizes: [1]
criteria:
  - { name: earlyStopping, params: { patience: 1 } }
maxEpochs: 2
batchSize: 20
mnist: { trainSize: 2000, testSize: 100 }
probes: [estimate]
`;

describe('eff run stopped by SIGTERM mid-epoch', () => {
  it('records nothing for the interrupted run and exits as interrupted', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-sigterm-'));
    await writeFile(join(dir, 'grid.yaml'), GRID);
    const out = join(dir, 'results');
    const child = spawnEff(['run', '--config', join(dir, 'grid.yaml'), '--out', out]);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      // 80 batches of 20 images: the signal lands well inside epoch 1.
      if (/run 1\/1 start/.test(log) && !child.killed) child.kill('SIGTERM');
    });
    const end = await finished(child);
    expect(end.stderr).toMatch(/SIGTERM received/);
    expect(end.stderr).not.toMatch(/run FAILED/);
    expect(end.code, end.stderr).toBe(143);
    const file = join(out, 'results.jsonl');
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe('');
  });
});
