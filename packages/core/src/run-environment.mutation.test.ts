// activeBackend and cpuBackendWarning in every branch, against a stand-in for tfjs's engine global (the boundary this
// module reads: `globalThis._tfengine`), and machineEnvironment's core version (written before the first Stryker run
// of this file).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { activeBackend, cpuBackendWarning, machineEnvironment } from './run-environment.js';

const g = globalThis as { _tfengine?: unknown };
const saved = g._tfengine;
afterEach(() => {
  g._tfengine = saved;
});

describe('activeBackend (mutation tests)', () => {
  it('no engine, or an engine global that is not an object: nothing known', () => {
    g._tfengine = undefined;
    expect(activeBackend()).toStrictEqual({ registered: [] });
    g._tfengine = 5;
    expect(activeBackend()).toStrictEqual({ registered: [] });
  });

  it("the engine's backend name when it has a non-empty one, and its registered backends", () => {
    g._tfengine = { backendName: 'webgl', registryFactory: { cpu: {}, webgl: {} } };
    expect(activeBackend()).toStrictEqual({ backend: 'webgl', registered: ['cpu', 'webgl'] });
    g._tfengine = { backendName: '', registryFactory: { cpu: {} } };
    expect(activeBackend()).toStrictEqual({ registered: ['cpu'] });
    g._tfengine = { backendName: null };
    expect(activeBackend()).toStrictEqual({ registered: [] });
    g._tfengine = { backendName: 7 };
    expect(activeBackend()).toStrictEqual({ registered: [] });
  });

  it('what the caller gives wins; threads only when positive; an object without a backend name falls back', () => {
    g._tfengine = { backendName: 'cpu', registryFactory: { cpu: {}, wasm: {} } };
    expect(activeBackend('tensorflow')).toStrictEqual({ backend: 'tensorflow', registered: ['cpu', 'wasm'] });
    expect(activeBackend({ backend: 'wasm', threads: 2 })).toStrictEqual({
      backend: 'wasm',
      trainingThreads: 2,
      registered: ['cpu', 'wasm'],
    });
    expect(activeBackend({ backend: 'wasm', threads: 0 })).toStrictEqual({
      backend: 'wasm',
      registered: ['cpu', 'wasm'],
    });
    expect(activeBackend({ backend: 'wasm' })).toStrictEqual({
      backend: 'wasm',
      registered: ['cpu', 'wasm'],
    });
    expect(activeBackend({ backend: 7 } as unknown as { backend: string })).toStrictEqual({
      backend: 'cpu',
      registered: ['cpu', 'wasm'],
    });
  });
});

describe('cpuBackendWarning (mutation tests)', () => {
  it('names every faster registered backend, in a fixed order, in one exact sentence', () => {
    expect(
      cpuBackendWarning({ backend: 'cpu', registered: ['webgpu', 'cpu', 'tensorflow', 'webgl'] }, {}),
    ).toBe(
      "training runs on tfjs's pure-JS 'cpu' backend although tensorflow, webgl, webgpu is available: it is hundreds of times slower and its energy is not what your model costs. Call `await useBackend('auto')` from @eff/models (or `await tf.setBackend('wasm')`) before building the model.",
    );
  });

  it('a registered wasm is named', () => {
    expect(cpuBackendWarning({ backend: 'cpu', registered: ['cpu', 'wasm'] }, {})).toMatch(
      /^training runs on tfjs's pure-JS 'cpu' backend although wasm is available: /,
    );
  });

  it('an installed wasm counts only when nothing faster is registered; no backend known: no warning', () => {
    const installed = { '@tensorflow/tfjs-backend-wasm': '4.22.0' };
    expect(cpuBackendWarning({ backend: 'cpu', registered: ['cpu', 'webgl'] }, installed)).toMatch(
      /although webgl is available/,
    );
    expect(cpuBackendWarning({ registered: ['cpu', 'wasm'] }, installed)).toBeNull();
    expect(cpuBackendWarning({ backend: 'cpu', registered: ['cpu'] }, installed)).toMatch(
      /^training runs on tfjs's pure-JS 'cpu' backend although wasm \(installed\) is available: /,
    );
    expect(
      cpuBackendWarning({ backend: 'cpu', registered: ['cpu'] }, { '@tensorflow/tfjs': '4.22.0' }),
    ).toBeNull();
  });
});

describe('machineEnvironment (mutation tests)', () => {
  it("records @eff/core's own version, also when describing the machine runs out of time", async () => {
    const own = (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    const quick = await machineEnvironment(0);
    expect(quick.versions['@eff/core']).toBe(own);
  });
});
