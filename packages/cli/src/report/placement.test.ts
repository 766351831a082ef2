// The report's placement table, shared-node note and mixed-hardware warning, from records as eff run writes them.
import type { Placement, RunRecord } from '@eff/core';
import { withPlacement } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { type SyntheticGrid, syntheticRecord } from '../../test/grid-results.js';
import type { LoadedRun } from './load.js';
import { buildPlacementTable, hardwareWarning, sharedNodeNote } from './placement.js';

const G: SyntheticGrid = {
  datasets: ['mnist'],
  architectures: ['lenet', 'bcnn'],
  sizes: [1],
  criteria: [{ label: 'f' }],
  folds: 1,
  epochs: 2,
};

function run(architecture: string, env: Partial<RunRecord['environment']>, placement?: Placement): LoadedRun {
  const base = syntheticRecord(G, { dataset: 'mnist', architecture, size: 1, criterion: 0, fold: 0 });
  const record = withPlacement({ ...base, environment: { ...base.environment, ...env } }, placement);
  return { run: record, file: 'results.jsonl', line: 1 };
}

const task = (id: number, exclusive: boolean): Placement => ({
  scheduler: 'slurm',
  jobId: String(501 + id),
  arrayJobId: '500',
  arrayTaskId: id,
  shard: { index: id, count: 2 },
  allocatedGpus: [String(id)],
  allocatedCpus: 4,
  exclusive,
});

describe('where each run ran', () => {
  it('one row per host / array task / allocation, with exclusive and shared components', () => {
    const table = buildPlacementTable([
      run('lenet', { hostname: 'node07' }, task(0, true)),
      run('bcnn', { hostname: 'node08' }, task(1, false)),
      run('bcnn', { hostname: 'node08' }, task(1, false)),
    ])!;
    expect(table.columns).toEqual([
      'Host',
      'Job / array task',
      'Shard',
      'GPUs',
      'CPUs',
      'Exclusive node',
      'Shared energy',
      'Runs',
    ]);
    expect(table.cells).toEqual([
      ['node07', '500_0', '0/2', '0', '4', 'yes', '—', '1'],
      ['node08', '500_1', '1/2', '1', '4', 'no', 'cpu, ram', '2'],
    ]);
    expect(table.notes.join('\n')).toMatch(
      /shared node: 2 runs ran on a node shared with other jobs; their CPU\/RAM energy is the node's, not the run's/,
    );
    expect(table.notes.join('\n')).toMatch(/divide accuracy by each run's total energy/);
  });

  it('a plain run shows its host and dashes; old results without host or placement get no table', () => {
    expect(buildPlacementTable([run('lenet', { hostname: 'laptop' })])!.cells).toEqual([
      ['laptop', '—', '—', '—', '—', '—', '—', '1'],
    ]);
    expect(buildPlacementTable([run('lenet', {})])).toBeNull();
    expect(sharedNodeNote([run('lenet', { hostname: 'laptop' })])).toBeNull();
  });
});

describe('mixed hardware', () => {
  it('warns when compared runs differ in CPU model, GPU model or backend, naming each group', () => {
    const a100 = { gpus: [{ model: 'NVIDIA A100' }] };
    const v100 = { gpus: [{ model: 'NVIDIA V100' }] };
    expect(hardwareWarning([run('lenet', a100), run('bcnn', a100)])).toBeNull();
    const gpu = hardwareWarning([run('lenet', a100), run('bcnn', v100), run('bcnn', v100)]);
    expect(gpu).toMatch(
      /different hardware \(1 run on Synthetic CPU; NVIDIA A100; backend wasm \| 2 runs on Synthetic CPU; NVIDIA V100; backend wasm\)/,
    );
    expect(hardwareWarning([run('lenet', { backend: 'tensorflow' }), run('bcnn', {})])).toMatch(
      /backend tensorflow/,
    );
    const otherCpu = { cpu: { model: 'Intel Xeon Gold 6230', cores: 20 } };
    expect(hardwareWarning([run('lenet', otherCpu), run('bcnn', {})])).toMatch(/Intel Xeon Gold 6230/);
  });

  it('leaves failed runs out: they are in no comparison', () => {
    const failed = run('bcnn', { backend: 'tensorflow' });
    failed.run = { ...failed.run, status: 'failed', error: 'x' };
    expect(hardwareWarning([run('lenet', {}), failed])).toBeNull();
  });
});
