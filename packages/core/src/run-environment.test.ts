// The backend a session records and the one warning about tfjs's pure-JS backend, against a real tfjs engine.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { measureEfficiency } from './measure.js';
import { activeBackend, cpuBackendWarning } from './run-environment.js';

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
