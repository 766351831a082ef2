// @ts-nocheck
// Benchmark: LeNet-1 training throughput with measureEfficiency (detected probes at 100 ms) vs without, interleaved.
// Run: npx tsx --tsconfig examples/tsconfig.json examples/bench/measure-overhead.ts [--reps 9] [--images 3200]
import { parseArgs } from 'node:util';
import { criteria, defaultProbes, measureEfficiency } from '@eff/core';
import { lenet, loadMnist, useBackend } from '@eff/models';
import * as tf from '@tensorflow/tfjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '9' },
    images: { type: 'string', default: '3200' },
    epochs: { type: 'string', default: '2' },
    interval: { type: 'string', default: '100' },
  },
});
const reps = Number(values.reps);
const images = Number(values.images);
const epochs = Number(values.epochs);
const intervalMs = Number(values.interval);

const backend = await useBackend('auto');
const data = await loadMnist({
  trainSize: Math.ceil(images / 0.8),
  testSize: 100,
  validationSplit: 0.2,
  seed: 3,
});
const probes = await defaultProbes();
const model = lenet({ width: 1, seed: 3 });
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const config = { architecture: 'lenet', size: 1, dataset: 'mnist', batchSize: 256 };

type Condition = 'plain' | 'measured' | 'measured+batch';
const conditions: Condition[] = ['plain', 'measured', 'measured+batch'];

/** CPU time (user + system, ms) the process spent since `before`: steadier than wall time on a shared machine. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}
let lastCpuMs = 0;

/**
 * Wall time of one fit call (epochs × images), ms; its CPU time goes to `lastCpuMs`. The session's start and
 * finish are outside the timed part.
 */
async function once(condition: Condition): Promise<number> {
  const fitArgs = { epochs, batchSize: 256, verbose: 0 as const, shuffle: true };
  if (condition === 'plain') {
    const c = process.cpuUsage();
    const t = performance.now();
    await model.fit(data.train.xs, data.train.ys, fitArgs);
    const ms = performance.now() - t;
    lastCpuMs = cpuMsSince(c);
    return ms;
  }
  const session = measureEfficiency({
    config,
    probes,
    intervalMs,
    criterion:
      condition === 'measured'
        ? criteria.fixedEpochs(epochs)
        : criteria.energyBudget({ joules: 1e12, checkEvery: 'batch' }), // never fires; costs a check per batch
    maxEpochs: epochs,
  });
  await session.start();
  const c = process.cpuUsage();
  const t = performance.now();
  await model.fit(data.train.xs, data.train.ys, { ...fitArgs, callbacks: [session.callback(model)] });
  const ms = performance.now() - t;
  lastCpuMs = cpuMsSince(c);
  const record = await session.finish();
  if (record.epochs.length !== epochs)
    throw new Error(`expected ${epochs} epoch records, got ${record.epochs.length}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

await once('plain'); // warm-up: kernels compiled, memory allocated
await once('measured');
const times: Record<Condition, number[]> = { plain: [], measured: [], 'measured+batch': [] };
const ratios: Record<Exclude<Condition, 'plain'>, number[]> = { measured: [], 'measured+batch': [] };
const cpuRatios: Record<Exclude<Condition, 'plain'>, number[]> = { measured: [], 'measured+batch': [] };
for (let r = 0; r < reps; r++) {
  // Rotate the order so no condition always runs first (or right after a probe teardown).
  const order = conditions.map((_, i) => conditions[(i + r) % conditions.length] as Condition);
  const got: Partial<Record<Condition, number>> = {};
  const cpu: Partial<Record<Condition, number>> = {};
  for (const c of order) {
    got[c] = await once(c);
    cpu[c] = lastCpuMs;
    times[c].push(got[c] as number);
  }
  cpuRatios.measured.push((cpu.measured as number) / (cpu.plain as number));
  cpuRatios['measured+batch'].push((cpu['measured+batch'] as number) / (cpu.plain as number));
  ratios.measured.push((got.measured as number) / (got.plain as number));
  ratios['measured+batch'].push((got['measured+batch'] as number) / (got.plain as number));
}
const perImage = (ms: number) => (epochs * data.train.count) / (ms / 1000);
console.log(
  `backend ${backend.backend} (${backend.package}); probes ${probes.map((p) => p.name).join(', ')} at ${intervalMs} ms; ` +
    `${reps} interleaved reps of ${epochs} epochs × ${data.train.count} images, batch 256`,
);
for (const c of conditions) {
  console.log(
    `${c.padEnd(15)} median ${median(times[c]).toFixed(0)} ms  (${perImage(median(times[c])).toFixed(0)} images/s)`,
  );
}
for (const c of ['measured', 'measured+batch'] as const) {
  const rs = [...ratios[c]].sort((a, b) => a - b);
  console.log(
    `${c} / plain: median ratio ${median(rs).toFixed(4)} (per-rep ratios ${rs.map((x) => x.toFixed(3)).join(' ')})`,
  );
  const cs = [...cpuRatios[c]].sort((a, b) => a - b);
  console.log(
    `${c} / plain, CPU time: median ratio ${median(cs).toFixed(4)} (per-rep ${cs.map((x) => x.toFixed(3)).join(' ')})`,
  );
}

// The same cost without training noise: CPU the process spends per second on probes + meter while nothing trains.
const idleSession = measureEfficiency({
  config,
  probes,
  intervalMs,
  criterion: criteria.energyBudget({ joules: 1e12, checkEvery: 'batch' }),
  maxEpochs: 1,
});
await idleSession.start();
const idleBefore = process.cpuUsage();
const idleT = performance.now();
await new Promise((r) => setTimeout(r, 5000));
const idleCpu = process.cpuUsage(idleBefore);
const idleS = (performance.now() - idleT) / 1000;
// Per-batch check cost: one held-power energy estimate (what batchEnd does), timed over many calls.
const t0 = performance.now();
let batchChecks = 0;
while (performance.now() - t0 < 200) {
  await idleSession.batchEnd();
  batchChecks++;
}
const perCheckUs = ((performance.now() - t0) * 1000) / batchChecks;
await idleSession.abort();
console.log(
  `idle cost of measuring: ${((idleCpu.user + idleCpu.system) / 1000 / idleS).toFixed(1)} ms CPU per second ` +
    `(${((idleCpu.user + idleCpu.system) / 10 / (idleS * 1000)).toFixed(2)}% of one core); ` +
    `batchEnd() ${perCheckUs.toFixed(1)} µs per call`,
);
data.dispose();
model.dispose();
