// Replicates (seeds / repeats) expand into distinct hashed runs, and the run order interleaves and rotates criteria.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { expandGrid } from './expand.js';
import { validateGridConfig } from './load.js';

const base = {
  datasets: ['mnist'],
  architectures: ['lenet', 'bcnn'],
  sizes: [1, 2],
  criteria: [
    { name: 'fixedEpochs', params: { epochs: 2 }, label: 'A' },
    { name: 'fixedEpochs', params: { epochs: 3 }, label: 'B' },
    { name: 'earlyStopping', params: { patience: 2 }, label: 'C' },
  ],
};
const grid = (extra: Record<string, unknown> = {}) => validateGridConfig({ ...base, ...extra }, 'test');

describe('replicates', () => {
  it('seeds: [...] gives one distinct run per seed, with replicate and seed in the config and the hash', () => {
    const plan = expandGrid(grid({ seeds: [11, 22, 33] }));
    expect(plan).toHaveLength(3 * 2 * 2 * 3);
    expect(new Set(plan.map((r) => r.runId)).size).toBe(plan.length);
    const lenet1A = plan.filter((r) => r.config.model === 'LeNet-1' && r.config.criterion.label === 'A');
    expect(lenet1A.map((r) => [r.config.replicate, r.config.seed])).toEqual([
      [0, 11],
      [1, 22],
      [2, 33],
    ]);
    expect(lenet1A[1]?.label).toBe('mnist LeNet-1 A seed 22');
  });

  it('repeats: N runs seeds seed … seed + N − 1; seed: [1, 2] is read as seeds', () => {
    const byRepeats = expandGrid(grid({ seed: 5, repeats: 2 }));
    expect([...new Set(byRepeats.map((r) => r.config.seed))]).toEqual([5, 6]);
    const bySeeds = expandGrid(grid({ seeds: [5, 6] }));
    expect(byRepeats.map((r) => r.runId)).toEqual(bySeeds.map((r) => r.runId));
    const bySeedList = expandGrid(grid({ seed: [5, 6] }));
    expect(bySeedList.map((r) => r.runId)).toEqual(bySeeds.map((r) => r.runId));
  });

  it('one replicate keeps the hashes a grid had before replicates existed (no replicate field)', () => {
    const plain = expandGrid(grid());
    expect(plain.every((r) => r.config.replicate === undefined && r.config.seed === 1)).toBe(true);
    expect(expandGrid(grid({ repeats: 1 })).map((r) => r.runId)).toEqual(plain.map((r) => r.runId));
    expect(expandGrid(grid({ seeds: [1] })).map((r) => r.runId)).toEqual(plain.map((r) => r.runId));
  });

  it('refuses seeds together with repeats, an empty list and repeated seeds, sizes, datasets, … (same run twice), naming the field', () => {
    for (const [extra, message] of [
      [{ seeds: [1, 2], repeats: 2 }, /repeats: give either seeds: \[\.\.\.\] or repeats: N, not both/],
      [{ seeds: [1, 1] }, /seeds: seeds must be distinct/],
      [{ seeds: [] }, /seeds: give at least one seed/],
      [{ repeats: 0 }, /repeats:/],
      [{ sizes: [1, 1] }, /sizes: sizes must be distinct/],
      [{ datasets: ['mnist', 'mnist'] }, /datasets: datasets must be distinct/],
      [{ architectures: ['lenet', 'lenet'] }, /architectures: architectures must be distinct/],
      [{ criteria: [base.criteria[0], base.criteria[0]] }, /criteria: criteria must be distinct/],
      [{ cifar10: { onlyFolds: [0, 0] } }, /cifar10\.onlyFolds: onlyFolds must be distinct/],
      [{ carbon: { country: 'XYZ' } }, /carbon\.country: no yearly average grid intensity for this country/],
      [
        { cifar10: { folds: 6, onlyFolds: [1, 6] } },
        /cifar10\.onlyFolds: onlyFolds are 0-based fold numbers below cifar10\.folds/,
      ],
    ] as const) {
      expect(() => grid(extra), JSON.stringify(extra)).toThrow(ConfigError);
      expect(() => grid(extra), JSON.stringify(extra)).toThrow(message);
    }
  });
});

describe('run order', () => {
  it('interleaves criteria per model and rotates which criterion comes first', () => {
    const plan = expandGrid(grid({ repeats: 2 }));
    const order = plan.map((r) => `${r.config.seed} ${r.config.model} ${r.config.criterion.label}`);
    expect(order.slice(0, 9)).toEqual([
      '1 LeNet-1 A',
      '1 LeNet-1 B',
      '1 LeNet-1 C',
      '1 BCNN-1 B',
      '1 BCNN-1 C',
      '1 BCNN-1 A',
      '1 LeNet-2 C',
      '1 LeNet-2 A',
      '1 LeNet-2 B',
    ]);
    // Over the grid, every criterion holds every position of its block equally often (8 blocks of 3: not all
    // divisible, so within one).
    const positions = new Map<string, number[]>();
    plan.forEach((r, i) => {
      const label = r.config.criterion.label as string;
      positions.set(label, [...(positions.get(label) ?? [0, 0, 0])]);
      (positions.get(label) as number[])[i % 3]! += 1;
    });
    for (const [label, counts] of positions)
      expect(Math.max(...counts) - Math.min(...counts), label).toBeLessThanOrEqual(1);
    // The first run of the grid is not always the first criterion of the config: replicate 2 starts elsewhere.
    const firstOfReplicate = plan
      .filter((r) => r.config.model === 'LeNet-1')
      .map((r) => r.config.criterion.label);
    expect(firstOfReplicate).toEqual(['A', 'B', 'C', 'B', 'C', 'A']);
  });

  it('keeps CIFAR-10 folds innermost, so one fold is cut at a time per run block', () => {
    const plan = expandGrid(
      validateGridConfig(
        { ...base, datasets: ['cifar10'], architectures: ['lenet'], sizes: [1], cifar10: { folds: 3 } },
        'test',
      ),
    );
    expect(plan.slice(0, 4).map((r) => [r.config.criterion.label, r.config.fold])).toEqual([
      ['A', 0],
      ['A', 1],
      ['A', 2],
      ['B', 0],
    ]);
  });
});
