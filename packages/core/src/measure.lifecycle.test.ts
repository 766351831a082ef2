// measureEfficiency's lifecycle and labels as a user meets them: a forgotten session exits and says so, `await using`
// ends one, explicit probes that cannot run are refused before training, short and estimated runs are labelled,
// detection runs once per process, the environment names the machine and backend.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateProbe, inWorkerThread } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { defaultProbes } from './default-probes.js';
import { type MeasureWarning, measureEfficiency } from './measure.js';
import { readRunRecords } from './results-reader.js';

const CHILD = fileURLToPath(new URL('../test/unfinished-session.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const FAKE_BIN = fileURLToPath(new URL('../test/fixtures/bin', import.meta.url));
const config = { architecture: 'test-net', size: 1, dataset: 'synthetic' };

/** Runs the child script; resolves with its output and how long it lived after printing `started`. */
function runChild(
  how: string,
): Promise<{ code: number | null; stdout: string; stderr: string; afterStartMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, how], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let startedAt = Number.NaN;
    // A hang is what this guards against: the child is killed (and the test fails) if it outlives a minute.
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (Number.isNaN(startedAt) && stdout.includes('started')) startedAt = performance.now();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, afterStartMs: performance.now() - startedAt });
    });
  });
}

describe('measureEfficiency: lifecycles that cannot hang', () => {
  it('a started session never finished does not keep Node alive, and says at exit that it was never finished', async () => {
    const r = await runChild('forget');
    expect(r.stdout).toContain('started');
    expect(r.code).toBe(0);
    // The sampler's worker thread and timers are unref'd: the script ends once its own work is done.
    expect(r.afterStartMs).toBeLessThan(5000);
    expect(r.stderr).toMatch(
      /eff: warning: measureEfficiency session \w+ was never finished: no record was written/,
    );
  }, 120_000);

  it('`await using` ends the session when its scope ends (no "never finished" line, the process exits)', async () => {
    const r = await runChild('await-using');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('started\ndisposed\n');
    expect(r.stderr).not.toMatch(/never finished/);
  }, 120_000);

  it('Symbol.asyncDispose aborts an open session (probes unsubscribed) and is a no-op after finish()', async () => {
    let live = 0;
    const probe = userProbe({ powerW: 10 });
    const counted = {
      ...probe,
      samples: (o?: Parameters<typeof probe.samples>[0]) => {
        const inner = probe.samples(o);
        return new (inner.constructor as typeof import('rxjs').Observable)(
          (sub: import('rxjs').Subscriber<unknown>) => {
            live++;
            const s = inner.subscribe(sub);
            return () => {
              live--;
              s.unsubscribe();
            };
          },
        );
      },
    } as typeof probe;
    const session = measureEfficiency({
      config,
      probes: [counted],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: false,
    });
    await session.start();
    expect(live).toBe(1);
    await session[Symbol.asyncDispose]();
    expect(live).toBe(0);
    await expect(session.finish()).rejects.toThrow(/finish after the session ended/);

    const done = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 10 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: false,
    });
    await done.start();
    await sleep(30);
    await done.epochEnd({ trainAccuracy: 0.5 });
    const record = await done.finish();
    await done[Symbol.asyncDispose]();
    expect(record.status).toBe('completed');
  });
});

describe('measureEfficiency: honest labels', () => {
  it('a run shorter than one interval is estimated and degraded, with a note and a warning, when the estimate measured it', async () => {
    const warnings: MeasureWarning[] = [];
    const lines: string[] = [];
    const session = measureEfficiency({
      config,
      probes: [estimateProbe({ tdpW: 35 })],
      intervalMs: 1000,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: (l) => lines.push(l),
      onWarning: (w) => warnings.push(w),
    });
    await session.start();
    await sleep(50);
    await session.epochEnd({ trainAccuracy: 0.5 });
    const r = await session.finish();
    expect(r.status).toBe('completed');
    // Every joule came from the estimate, though none of its samples fell inside the 50 ms run.
    expect(r.probes[0]?.sampleCount).toBe(0);
    expect(r.final.energyJ.total).toBeGreaterThan(0);
    expect(r.final.estimated).toBe(true);
    expect(r.final.degraded).toBe(true);
    expect(r.probes[0]?.degraded).toBe(true);
    expect(r.probes[0]?.notes.join('\n')).toMatch(
      /no estimate sample fell inside the run \(\d+ ms long, sampled every 1000 ms\)/,
    );
    expect(warnings.map((w) => w.code)).toContain('W_SHORT_WINDOW');
    // The estimate's assumptions are in the record, and the start line says what measures.
    expect(r.probes[0]?.estimate).toEqual({ tdpW: 35, ramWPerGB: 0.375, loadScope: 'machine' });
    expect(lines).toEqual([
      'eff: measuring with estimate (cpu, ram; ESTIMATE, not a measurement: TDP 35 W × machine load, 0.375 W/GiB RAM) every 1000 ms',
    ]);
  });

  it('a run with samples inside it from a hardware probe is neither estimated nor degraded', async () => {
    const warnings: MeasureWarning[] = [];
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 20 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: false,
      onWarning: (w) => warnings.push(w),
    });
    await session.start();
    await sleep(100);
    await session.epochEnd({ trainAccuracy: 0.5 });
    const r = await session.finish();
    expect(r.final.estimated).toBe(false);
    expect(r.final.degraded).toBe(false);
    expect(r.probes[0]?.estimate).toBeUndefined();
    expect(warnings.filter((w) => w.code === 'W_SHORT_WINDOW')).toEqual([]);
  });

  it('an explicit probe that cannot run here is a typed error before training, by object or by name', async () => {
    const emptySysfs = mkdtempSync(join(tmpdir(), 'eff-no-rapl-'));
    const session = measureEfficiency({
      config,
      probes: [inWorkerThread('rapl', { root: emptySysfs })],
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: false,
    });
    const err = (await session.start().catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe('E_MEASURE_PROBE_UNAVAILABLE');
    expect(err.message).toMatch(/^a probe you asked for cannot run on this machine \(rapl: /);
    // Training cannot go on with it: the first epoch is refused too, and the record is a failure, not 0 J "completed".
    await expect(session.epochEnd({ trainAccuracy: 0.5 })).rejects.toMatchObject({
      code: 'E_MEASURE_PROBE_UNAVAILABLE',
    });
    const r = await session.finish();
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/probes did not start: E_MEASURE_PROBE_UNAVAILABLE/);

    const savedPath = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'eff-empty-path-'));
    try {
      const byName = measureEfficiency({
        config,
        probes: ['powerstat'],
        criterion: criteria.fixedEpochs(1),
        maxEpochs: 1,
        log: false,
      });
      await expect(byName.start()).rejects.toMatchObject({
        code: 'E_MEASURE_PROBE_UNAVAILABLE',
        message: expect.stringMatching(/powerstat: .*powerstat/),
      });
      await byName.abort();
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('probe detection runs once per process', () => {
  it('a second defaultProbes() spawns no tool; refresh: true checks again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-detect-count-'));
    const pidfile = join(dir, 'nvidia-smi.pids');
    writeFileSync(pidfile, '');
    const saved = { PATH: process.env.PATH, PIDFILE: process.env.FAKE_NVSMI_PIDFILE };
    process.env.PATH = `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`;
    process.env.FAKE_NVSMI_PIDFILE = pidfile;
    const spawned = () => readFileSync(pidfile, 'utf8').split('\n').filter(Boolean).length;
    try {
      const first = await defaultProbes();
      expect(first.map((p) => p.name)).toContain('nvidia-smi');
      const afterFirst = spawned();
      expect(afterFirst).toBeGreaterThan(0);
      const t = performance.now();
      const second = await defaultProbes();
      expect(performance.now() - t).toBeLessThan(500);
      expect(second.map((p) => p.name)).toEqual(first.map((p) => p.name));
      expect(spawned()).toBe(afterFirst);
      // A session's own check of the same probe is answered from the cache too.
      expect((await second.find((p) => p.name === 'nvidia-smi')?.check())?.available).toBe(true);
      expect(spawned()).toBe(afterFirst);
      await defaultProbes({ refresh: true });
      expect(spawned()).toBeGreaterThan(afterFirst);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.PIDFILE === undefined) delete process.env.FAKE_NVSMI_PIDFILE;
      else process.env.FAKE_NVSMI_PIDFILE = saved.PIDFILE;
    }
  }, 60_000);
});

describe('measureEfficiency: the record says where and on what it trained, and can be saved for eff report', () => {
  it('fills the environment (host, OS, CPU, memory, versions, backend) and appends to <resultsDir>/results.jsonl', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'eff-results-')), 'nested');
    const run = async (seed: number) => {
      const session = measureEfficiency({
        config: { ...config, seed },
        probes: [userProbe({ powerW: 10 })],
        intervalMs: 10,
        criterion: criteria.fixedEpochs(1),
        maxEpochs: 1,
        backend: { backend: 'wasm', threads: 2 },
        resultsDir: dir,
        log: false,
      });
      await session.start();
      await sleep(40);
      await session.epochEnd({ trainAccuracy: 0.5 });
      return session.finish();
    };
    const a = await run(1);
    const b = await run(2);
    const env = a.environment;
    expect(env.backend).toBe('wasm');
    expect(env.trainingThreads).toBe(2);
    expect(env.hostname).toBeTruthy();
    expect(env.cpu?.cores).toBeGreaterThan(0);
    expect(env.memoryBytes).toBeGreaterThan(0);
    expect(env.nodeVersion).toBe(process.versions.node);
    expect(env.versions['@eff/core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(env.versions['@eff/probes']).toMatch(/^\d+\.\d+\.\d+/);
    const saved = [];
    for await (const r of readRunRecords(dir)) saved.push(r.record);
    expect(saved.map((r) => r.runId)).toEqual([a.runId, b.runId]);
  }, 60_000);
  it('under a SLURM array each task appends to its own file in a shared resultsDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-results-slurm-'));
    const keys = ['SLURM_JOB_ID', 'SLURM_ARRAY_JOB_ID', 'SLURM_ARRAY_TASK_ID'] as const;
    const saved = keys.map((k) => process.env[k]);
    const runAs = async (task: string) => {
      process.env.SLURM_JOB_ID = `77${task}`;
      process.env.SLURM_ARRAY_JOB_ID = '770';
      process.env.SLURM_ARRAY_TASK_ID = task;
      const session = measureEfficiency({
        config: { ...config, seed: Number(task) },
        probes: [userProbe({ powerW: 10 })],
        intervalMs: 10,
        criterion: criteria.fixedEpochs(1),
        maxEpochs: 1,
        resultsDir: dir,
        log: false,
      });
      await session.start();
      await sleep(40);
      await session.epochEnd({ trainAccuracy: 0.5 });
      return session.finish();
    };
    try {
      const a = await runAs('1');
      const b = await runAs('2');
      expect(readdirSync(dir).sort()).toEqual(['results-slurm-770_1.jsonl', 'results-slurm-770_2.jsonl']);
      const ids = [];
      for await (const r of readRunRecords(dir)) ids.push(r.record.runId);
      expect(ids.sort()).toEqual([a.runId, b.runId].sort());
    } finally {
      keys.forEach((k, i) => {
        if (saved[i] === undefined) delete process.env[k];
        else process.env[k] = saved[i];
      });
    }
  }, 60_000);
});
