// The backend a session records and the one warning about tfjs's pure-JS backend, against a real tfjs engine.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { measureEfficiency } from './measure.js';
import { activeBackend, cpuBackendWarning, slurmJobOf } from './run-environment.js';

describe('the backend that trained', () => {
  it('is read from the tfjs engine when the caller does not say, and the caller wins when it does', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const read = activeBackend();
    expect(read.backend).toBe('cpu');
    expect(read.registered).toContain('cpu');
    expect(activeBackend({ backend: 'wasm', threads: 4 })).toMatchObject({
      backend: 'wasm',
      trainingThreads: 4,
    });
    expect(activeBackend('tensorflow').backend).toBe('tensorflow');

    const session = measureEfficiency({
      config: { architecture: 'net', size: 1, dataset: 'synthetic' },
      probes: [userProbe({ powerW: 5 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
      log: false,
      onWarning: () => {},
    });
    await session.start();
    await sleep(30);
    await session.epochEnd({ trainAccuracy: 0.5 });
    const r = await session.finish();
    expect(r.environment.backend).toBe('cpu');
    expect(r.environment.versions['@tensorflow/tfjs']).toBe(tf.version.tfjs);
  });

  it('warns on the cpu backend only when a faster one is registered or installed, and says what to call', () => {
    const warning = cpuBackendWarning({ backend: 'cpu', registered: ['cpu', 'wasm'] }, {});
    expect(warning).toMatch(/pure-JS 'cpu' backend although wasm is available/);
    expect(warning).toMatch(
      /await useBackend\('auto'\)` from @eff\/models \(or `await tf.setBackend\('wasm'\)`\)/,
    );
    expect(cpuBackendWarning({ backend: 'cpu', registered: ['cpu'] }, {})).toBeNull();
    expect(
      cpuBackendWarning(
        { backend: 'cpu', registered: ['cpu'] },
        { '@tensorflow/tfjs-backend-wasm': '4.22.0' },
      ),
    ).toMatch(/wasm \(installed\) is available/);
    expect(cpuBackendWarning({ backend: 'wasm', registered: ['cpu', 'wasm'] }, {})).toBeNull();
  });
});

describe('slurmJobOf', () => {
  it('reads the job, array job and task ids slurmd sets; nothing outside SLURM', () => {
    expect(slurmJobOf({})).toBeUndefined();
    expect(slurmJobOf({ SLURM_JOB_ID: '  ' })).toBeUndefined();
    expect(slurmJobOf({ SLURM_JOB_ID: ' 42 ' })).toEqual({ scheduler: 'slurm', jobId: '42' });
    expect(slurmJobOf({ SLURM_JOB_ID: '43', SLURM_ARRAY_JOB_ID: '40', SLURM_ARRAY_TASK_ID: '3' })).toEqual({
      scheduler: 'slurm',
      jobId: '43',
      arrayJobId: '40',
      arrayTaskId: 3,
    });
    // A task id that is not a number (a malformed environment) is left out rather than guessed.
    expect(slurmJobOf({ SLURM_JOB_ID: '43', SLURM_ARRAY_JOB_ID: '40', SLURM_ARRAY_TASK_ID: '3a' })).toEqual({
      scheduler: 'slurm',
      jobId: '43',
      arrayJobId: '40',
    });
  });
});
