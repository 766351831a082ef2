// Two SLURM array tasks of one grid, run as eff processes at once: own files, placement, shared-node marking, status, report.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunRecordSchema } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import type { CliIo } from '../io.js';
import { runCli } from '../program.js';

const SLURM_BIN = fileURLToPath(new URL('../../test/fixtures/slurm-bin', import.meta.url));
const SHARED_JOB = fileURLToPath(
  new URL('../../test/fixtures/slurm/scontrol-show-job-shared.txt', import.meta.url),
);

// LeNet-1 and BCNN-1, one epoch on 200 real MNIST images: one run per shard.
const GRID = `
name: pair
datasets: [mnist]
architectures: [lenet, bcnn]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 1 } }
maxEpochs: 1
batchSize: 50
mnist: { trainSize: 200, testSize: 100 }
intervalMs: 50
probes: [estimate]
`;

/** What sbatch sets for task `id` of `--array=0-1` submitted as job 4310 (notes/single-node-slurm.md). */
function arrayTaskEnv(id: number): NodeJS.ProcessEnv {
  return {
    PATH: `${SLURM_BIN}${delimiter}${process.env.PATH ?? ''}`,
    FAKE_SCONTROL_JOB: SHARED_JOB,
    SLURM_JOB_ID: String(4311 + id),
    SLURM_ARRAY_JOB_ID: '4310',
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: '0',
    SLURM_ARRAY_TASK_MAX: '1',
    SLURM_ARRAY_TASK_COUNT: '2',
    SLURM_ARRAY_TASK_STEP: '1',
    SLURM_CPUS_ON_NODE: '1',
  };
}

function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: { PATH: '/nonexistent' },
      cwd: process.cwd(),
    },
    out: () => out,
    err: () => err,
  };
}

describe('a grid split over two SLURM array tasks on a shared node', () => {
  it('each task writes its own file; records say where they ran and that CPU/RAM energy is shared', {
    timeout: 480_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-shard-run-'));
    const config = join(dir, 'pair.yaml');
    await writeFile(config, GRID);
    const out = join(dir, 'results');
    const args = ['run', '--config', config, '--out', out];
    const [t0, t1] = await Promise.all([runEff(args, arrayTaskEnv(0)), runEff(args, arrayTaskEnv(1))]);
    expect(t0.code, t0.stderr).toBe(0);
    expect(t1.code, t1.stderr).toBe(0);
    expect(t0.stderr).toMatch(/grid pair shard 0\/2: 1 runs/);
    expect(t1.stderr).toMatch(/grid pair shard 1\/2: 1 runs/);
    expect(t1.stderr).toMatch(
      /SLURM job 4310_1 \(job id 4312\): no GPUs allocated, 1 CPUs, node shared with other jobs/,
    );
    const files = (await readdir(out)).filter((f) => f.endsWith('.jsonl')).sort();
    expect(files).toEqual([
      'results-shard-0-of-2-slurm-4310_0.jsonl',
      'results-shard-1-of-2-slurm-4310_1.jsonl',
    ]);
    const runIds = new Set<string>();
    let sharedRuns = 0;
    for (const [task, file] of files.entries()) {
      const lines = (await readFile(join(out, file), 'utf8')).split('\n').filter((l) => l.trim());
      expect(lines).toHaveLength(1);
      const record = RunRecordSchema.parse(JSON.parse(lines[0]!));
      runIds.add(record.runId);
      expect(record.status).toBe('completed');
      expect(record.environment.hostname).toBe(hostname());
      expect(record.environment.placement).toEqual({
        scheduler: 'slurm',
        jobId: String(4311 + task),
        arrayJobId: '4310',
        arrayTaskId: task,
        shard: { index: task, count: 2 },
        allocatedCpus: 1,
        exclusive: false,
      });
      // Every CPU/RAM joule the estimate measured is marked as the node's, and the run's summary line says so. (On
      // a machine so loaded that the estimate's sampler never answered, nothing was measured and nothing is marked.)
      const measured = (['cpu', 'ram', 'system'] as const).filter(
        (c) => record.final.energyJ[c] !== undefined,
      );
      const log = task === 0 ? t0.stderr : t1.stderr;
      if (measured.length > 0) {
        expect(record.final.sharedComponents).toEqual(measured);
        const names = measured.map((c) => c.toUpperCase()).join('/');
        expect(log).toContain(`shared node: ${names} energy is the node's, not this run's`);
        sharedRuns += 1;
      } else {
        expect(record.final.sharedComponents).toBeUndefined();
        expect(record.probes[0]?.errors.concat(record.probes[0]?.notes ?? []).join(' ')).toMatch(
          /no readings/,
        );
      }
    }
    expect(runIds.size).toBe(2);

    // The same task started again (a requeue) has nothing to do and writes nothing.
    const again = await runEff(args, arrayTaskEnv(1));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/1 runs, 1 already in/);

    const status = captureIo();
    expect(await runCli(['status', out], status.io)).toBe(0);
    expect(status.out()).toMatch(/grid pair: 2 runs in 2 shards/);
    expect(status.out()).toMatch(/^all\s+2\s+2\s+0\s+0\s+0$/m);

    const report = captureIo();
    expect(await runCli(['report', out], report.io), report.err()).toBe(0);
    if (sharedRuns > 0) {
      expect(report.err()).toContain(
        `shared node: ${sharedRuns} run${sharedRuns === 1 ? '' : 's'} ran on a node shared`,
      );
    }
    const table = await readFile(join(out, 'report', 'tables', 'placement.md'), 'utf8');
    expect(table).toContain(`| ${hostname()} | 4310_0 | 0/2 | — | 1 | no | `);
    expect(table).toContain(`| ${hostname()} | 4310_1 | 1/2 | — | 1 | no | `);
    const html = await readFile(join(out, 'report', 'index.html'), 'utf8');
    expect(html).toContain('Where each run ran');
  });
});
