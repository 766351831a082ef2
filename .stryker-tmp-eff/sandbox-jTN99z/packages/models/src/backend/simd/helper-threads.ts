// @ts-nocheck
// Runs eff's SIMD kernels on more than one core: helper worker threads, each with its own instance of the module on
// a shared heap. tfjs's heap is not shared, so a call is split by image: the main thread copies each helper's region
// of the inputs into that helper's heap, works through the batch in chunks, and copies the helpers' results back.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { simdKernelsSharedWasmBase64 } from './simd-kernels.wasm.js';

/** Slots of a helper's control block (an Int32Array on a SharedArrayBuffer). */
const STATE = 0;
const KERNEL = 1;
const ARGC = 2;
/** Chunks of the helper's region claimed so far, by either thread (Atomics.add; may overshoot). */
const CLAIMED = 3;
const REGION_CHUNKS = 4;
const REGION_IMAGES = 5;
const CHUNK_IMAGES = 6;
/** Chunks the helper ran, from the back of its region. */
const HELPER_CHUNKS = 7;
/** Index of the kernel's batch-size argument (right after its pointers). */
const BATCH_ARG = 8;
const CONTROL_SLOTS = 9;
/** States: the helper sleeps while IDLE, DONE or FAILED and works on POSTED. */
const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;
const MAX_ARGS = 32;
const PAGE_BYTES = 65536;
/** A helper's share of the images is copied with this margin: it may end up doing more than an equal share. */
const REGION_MARGIN = 1.25;
/** Chunks per batch: small enough to even out a helper that wakes late, large enough to keep calls few. */
const CHUNKS_PER_BATCH = 32;
/** A kernel that takes longer than this is taken for a dead helper. */
const ANSWER_TIMEOUT_MS = 120_000;

// Plain JS, evaluated as the worker's script: a file would have to exist both beside the TypeScript sources (tests)
// and in dist/. It sleeps on its control block; when work is posted it claims chunks of its region from the back
// (the main thread claims them from the front) until none is left. args[ARGC..] are the pointers' bytes per image.
const helperScript = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control, args, names } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = names.map((name) => exports[name]);
parentPort.postMessage('ready');
const idle = (state) => state === ${IDLE} || state === ${DONE} || state === ${FAILED};
for (;;) {
  let state = Atomics.load(control, ${STATE});
  while (idle(state)) {
    Atomics.wait(control, ${STATE}, state);
    state = Atomics.load(control, ${STATE});
  }
  try {
    const kernel = kernels[control[${KERNEL}]];
    const argc = control[${ARGC}], chunks = control[${REGION_CHUNKS}];
    const images = control[${REGION_IMAGES}], chunkImages = control[${CHUNK_IMAGES}];
    const a = Array.from(args.subarray(0, argc));
    let done = 0;
    while (Atomics.add(control, ${CLAIMED}, 1) < chunks) {
      const first = (chunks - 1 - done) * chunkImages;
      for (let i = 0; i < argc; i++) a[i] = args[i] + args[argc + i] * first;
      a[control[${BATCH_ARG}]] = Math.min(images, first + chunkImages) - first;
      kernel(...a);
      done++;
    }
    control[${HELPER_CHUNKS}] = done;
    Atomics.store(control, ${STATE}, ${DONE});
  } catch (err) {
    Atomics.store(control, ${STATE}, ${FAILED});
  }
  Atomics.notify(control, ${STATE});
}
`;

/** A helper thread failed a kernel (a trap in the wasm module) or stopped answering. */
export class WasmHelperThreadError extends Error {
  readonly code = 'EFF_WASM_HELPER_THREAD';
  constructor(kernel: string, what: string) {
    super(
      `eff's helper thread ${what} while running the SIMD kernel '${kernel}'; set EFF_WASM_THREADS=1 to run ` +
        `eff's kernels on the main thread only, and report this with the model's shapes.`,
    );
    this.name = 'WasmHelperThreadError';
  }
}

/** The thread count asked for (option or EFF_WASM_THREADS) is not a whole number from 1 to 64. */
export class WasmThreadsError extends Error {
  readonly code = 'EFF_WASM_THREADS';
  constructor(found: unknown) {
    super(
      `The number of threads for eff's wasm kernels must be a whole number from 1 to 64 but was ` +
        `${JSON.stringify(found)}; set EFF_WASM_THREADS or the threads option accordingly.`,
    );
    this.name = 'WasmThreadsError';
  }
}

let compiled: WebAssembly.Module | undefined;
let kernelNames: string[] | undefined;

/** A helper's heap when it starts: 16 MiB, enough for LeNet-sized calls on MNIST. */
const INITIAL_HEAP_PAGES = 256;

class Helper {
  readonly memory = new WebAssembly.Memory({ initial: INITIAL_HEAP_PAGES, maximum: 16384, shared: true });
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  /** The kernel's arguments for the region's first image, then each argument's bytes per image. */
  readonly args = new Float64Array(new SharedArrayBuffer(2 * MAX_ARGS * 8));
  readonly worker: Worker;
  ready = false;
  /** Resolves when the helper has instantiated the module or has exited; rejects if it failed to start. */
  readonly started: Promise<void>;

  constructor(module: WebAssembly.Module, names: string[]) {
    this.worker = new Worker(helperScript, {
      eval: true,
      workerData: { module, memory: this.memory, control: this.control, args: this.args, names },
    });
    // An idle helper must not keep a script from exiting.
    this.worker.unref();
    this.started = new Promise((resolve, reject) => {
      this.worker.once('message', () => {
        this.ready = true;
        resolve();
      });
      this.worker.once('error', (err) => {
        this.ready = false;
        reject(err);
      });
      this.worker.once('exit', () => {
        this.ready = false;
        resolve();
      });
    });
    // A failed start is reported through `started` to whoever awaits it; kernels just run without this helper.
    this.started.catch(() => {});
  }

  /** A float32 view of the helper's heap, made after any growth. */
  floats(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  reserve(bytes: number): void {
    const missing = Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE_BYTES);
    if (missing > 0) this.memory.grow(missing);
  }

  post(
    kernel: number,
    pointers: number[],
    bytesPerImage: number[],
    rest: number[],
    regionImages: number,
    chunkImages: number,
  ): void {
    // The batch size (0 here) is set per chunk; bytes per image are 0 for every argument after the pointers.
    const args = [...pointers, 0, ...rest];
    const perImage = [...bytesPerImage, ...args.slice(pointers.length).map(() => 0)];
    this.args.set(args);
    this.args.set(perImage, args.length);
    const c = this.control;
    c[KERNEL] = kernel;
    c[BATCH_ARG] = pointers.length;
    c[ARGC] = args.length;
    c[REGION_IMAGES] = regionImages;
    c[CHUNK_IMAGES] = chunkImages;
    c[REGION_CHUNKS] = Math.ceil(regionImages / chunkImages);
    c[HELPER_CHUNKS] = 0;
    Atomics.store(c, CLAIMED, 0);
    Atomics.store(c, STATE, POSTED);
    Atomics.notify(c, STATE);
  }

  /**
   * Claims one more chunk of this helper's region for the main thread. The k-th successful claim takes the k-th
   * chunk from the front, the helper's from the back: claims never exceed the chunks, so the two never meet.
   */
  claim(): boolean {
    return Atomics.add(this.control, CLAIMED, 1) < (this.control[REGION_CHUNKS] ?? 0);
  }

  /** Waits for the helper; returns how many chunks it ran (from the back of its region). */
  finish(kernel: string): number {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    let state = Atomics.load(this.control, STATE);
    while (state === POSTED) {
      if (Date.now() > deadline) {
        this.ready = false;
        throw new WasmHelperThreadError(kernel, `did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(this.control, STATE, POSTED, 1000);
      state = Atomics.load(this.control, STATE);
    }
    Atomics.store(this.control, STATE, IDLE);
    if (state === FAILED) throw new WasmHelperThreadError(kernel, 'trapped');
    return this.control[HELPER_CHUNKS] ?? 0;
  }
}

let helpers: Helper[] = [];
/** Helpers in use: the first `active` of `helpers`; the rest are parked asleep, kept for a later setWasmThreads. */
let active = 0;
let wantedThreads: number | undefined;

/** Threads eff's kernels use by default: EFF_WASM_THREADS, else every core up to four. */
export function defaultWasmThreads(): number {
  const env = process.env.EFF_WASM_THREADS;
  if (env !== undefined && env !== '') return checkThreads(Number(env), env);
  return Math.min(availableParallelism(), 4);
}

function checkThreads(threads: number, shown: unknown = threads): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new WasmThreadsError(shown);
  return threads;
}

/**
 * Sets how many threads eff's SIMD kernels run on (1 = the main thread only) and resolves once the helpers
 * have started, with the reasons any of them could not (those are dropped; kernels run without them). Until
 * helpers have started, kernels run on the main thread alone. Helpers no longer needed sleep until a later call
 * wants them again (they hold no core while asleep).
 */
export async function setWasmThreads(threads: number): Promise<{ failures: string[] }> {
  wantedThreads = checkThreads(threads);
  while (helpers.length < threads - 1) helpers.push(spawnHelper());
  active = threads - 1;
  const starting = helpers.slice(0, active);
  const results = await Promise.allSettled(starting.map((h) => h.started));
  const failed = starting.filter((_, i) => results[i]?.status === 'rejected');
  helpers = helpers.filter((h) => !failed.includes(h));
  active -= failed.length;
  return {
    failures: results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
    ),
  };
}

/** Bytes of every helper's heap (running or parked): each starts at 16 MiB and grows with the largest call. */
export function wasmHelperHeapBytes(): number {
  return helpers.reduce((sum, h) => sum + h.memory.buffer.byteLength, 0);
}

/**
 * Gives back what the helpers' heaps grew by for large calls. A WebAssembly.Memory cannot shrink, so each helper
 * whose heap outgrew its initial 16 MiB is stopped and, if in use, replaced by a fresh one; resolves once the
 * replacements have started, with the bytes given back and why any replacement failed to start (kernels then run
 * without it, as after `setWasmThreads`). Call it between runs: eff's kernels are synchronous, so no helper is
 * working while async code runs. Helpers that never grew are kept, so the call costs nothing on small models.
 */
export async function releaseWasmHelperHeaps(): Promise<{ releasedBytes: number; failures: string[] }> {
  const initialBytes = INITIAL_HEAP_PAGES * PAGE_BYTES;
  let releasedBytes = 0;
  const fresh: Helper[] = [];
  const kept: Helper[] = [];
  helpers.forEach((helper, i) => {
    const bytes = helper.memory.buffer.byteLength;
    if (bytes <= initialBytes) {
      kept.push(helper);
      return;
    }
    void helper.worker.terminate();
    if (i >= active) {
      // A parked helper is dropped; a later setWasmThreads spawns one again if it is wanted.
      releasedBytes += bytes;
      return;
    }
    releasedBytes += bytes - initialBytes;
    const replacement = spawnHelper();
    fresh.push(replacement);
    kept.push(replacement);
  });
  // Replacements sit where the helpers they replace were, so the first `active` are still the ones in use.
  helpers = kept;
  const results = await Promise.allSettled(fresh.map((h) => h.started));
  const failed = fresh.filter((_, i) => results[i]?.status === 'rejected');
  if (failed.length > 0) {
    helpers = helpers.filter((h) => !failed.includes(h));
    active -= failed.length;
  }
  return {
    releasedBytes,
    failures: results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
    ),
  };
}

/** The threads eff's kernels run on now (main thread included). */
export function wasmThreads(): number {
  return 1 + helpers.slice(0, active).filter((h) => h.ready).length;
}

function spawnHelper(): Helper {
  compiled ??= new WebAssembly.Module(Buffer.from(simdKernelsSharedWasmBase64, 'base64'));
  kernelNames ??= WebAssembly.Module.exports(compiled)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  return new Helper(compiled, kernelNames);
}

/** The helpers ready now; the default ones are started on first use and become ready asynchronously. */
function readyHelpers(): Helper[] {
  if (wantedThreads === undefined) {
    wantedThreads = defaultWasmThreads();
    while (helpers.length < wantedThreads - 1) helpers.push(spawnHelper());
    active = wantedThreads - 1;
  }
  return helpers.slice(0, active).filter((h) => h.ready);
}

/**
 * A buffer of a split call, in bytes of tfjs's heap. `in`: per image, read; `out`: per image, written (`zero`:
 * the kernel adds into it, so helpers' copies start from zeros); `whole`: read whole by every chunk (weights);
 * `sum`: accumulated by every chunk (filter gradients; the caller zeroes tfjs's copy and the helpers' partial
 * sums are added to it); `scratch`: private to each thread.
 */
export type SplitBuffer =
  | { role: 'in' | 'out'; offsetB: number; floatsPerImage: number; zero?: boolean }
  | { role: 'whole' | 'sum' | 'scratch'; offsetB: number; floats: number };

/**
 * Runs `kernel(...pointers, images, ...rest)` over `batch` images on the main thread and the ready helpers, where
 * `pointers` are the buffers' byte offsets for the chunk in the heap it runs on. Each helper gets a region at the
 * end of the batch (copied into its heap) and works through it from the back while the main thread does the
 * front of the batch and then takes what is left of the regions from their fronts, so a helper that starts late
 * costs little.
 */
export function runSplit(
  kernel: string,
  run: (...args: number[]) => void,
  heap: () => Float32Array,
  batch: number,
  buffers: SplitBuffer[],
  rest: number[],
): void {
  const offsets = buffers.map((b) => b.offsetB);
  const ready = batch >= 2 ? readyHelpers() : [];
  if (ready.length === 0) {
    run(...offsets, batch, ...rest);
    return;
  }
  const index = kernelNames?.indexOf(kernel) ?? -1;
  if (index < 0) throw new WasmHelperThreadError(kernel, 'has no such kernel');
  const chunkImages = Math.max(1, Math.ceil(batch / CHUNKS_PER_BATCH));
  const chunks = Math.ceil(batch / chunkImages);
  const regionChunks = Math.floor(
    Math.min((REGION_MARGIN * chunks) / (ready.length + 1), chunks / ready.length),
  );
  const used = regionChunks >= 1 ? ready : [];
  if (used.length === 0) {
    run(...offsets, batch, ...rest);
    return;
  }
  const perImageB = buffers.map((b) => ('floatsPerImage' in b ? b.floatsPerImage * 4 : 0));
  const chunkOn = (pointers: number[], first: number, images: number) =>
    run(...pointers.map((p, i) => p + (perImageB[i] ?? 0) * first), images, ...rest);
  // Regions: helper h owns images [regionFirst(h), regionFirst(h + 1)); the main thread alone owns [0, regionFirst(0)).
  const regionFirst = (h: number) =>
    Math.min(batch, (chunks - (used.length - h) * regionChunks) * chunkImages);
  const tfjs = heap();
  const layouts = used.map((helper, h) => {
    const first = regionFirst(h);
    const images = regionFirst(h + 1) - first;
    let endB = 0;
    const pointers = buffers.map((b) => {
      const floats = 'floatsPerImage' in b ? b.floatsPerImage * images : b.floats;
      const at = endB;
      endB += Math.ceil((floats * 4) / 16) * 16;
      return at;
    });
    helper.reserve(endB);
    const mine = helper.floats();
    buffers.forEach((b, i) => {
      const at = (pointers[i] ?? 0) / 4;
      if (b.role === 'in') {
        const from = b.offsetB / 4 + first * b.floatsPerImage;
        mine.set(tfjs.subarray(from, from + images * b.floatsPerImage), at);
      } else if (b.role === 'whole') {
        mine.set(tfjs.subarray(b.offsetB / 4, b.offsetB / 4 + b.floats), at);
      } else if (b.role === 'sum') {
        mine.fill(0, at, at + b.floats);
      } else if (b.role === 'out' && b.zero === true) {
        mine.fill(0, at, at + images * b.floatsPerImage);
      }
    });
    helper.post(index, pointers, perImageB, rest, images, chunkImages);
    return { helper, first, images, pointers };
  });
  let failure: unknown;
  try {
    for (let first = 0; first < regionFirst(0); first += chunkImages)
      chunkOn(offsets, first, Math.min(chunkImages, regionFirst(0) - first));
    for (const { helper, first, images } of layouts) {
      for (let chunk = 0; helper.claim(); chunk++) {
        const at = first + chunk * chunkImages;
        chunkOn(offsets, at, Math.min(chunkImages, first + images - at));
      }
    }
  } catch (err) {
    failure = err;
  }
  // Every helper is waited for, even after a failure, so none is left writing into memory the caller reuses.
  for (const { helper, first, images, pointers } of layouts) {
    let helperChunks: number;
    try {
      helperChunks = helper.finish(kernel);
    } catch (err) {
      failure ??= err;
      continue;
    }
    if (helperChunks === 0) continue;
    const regionChunkCount = Math.ceil(images / chunkImages);
    const from = (regionChunkCount - helperChunks) * chunkImages;
    const mine = helper.floats();
    buffers.forEach((b, i) => {
      const at = (pointers[i] ?? 0) / 4;
      if (b.role === 'out') {
        const floats = b.floatsPerImage;
        tfjs.set(
          mine.subarray(at + from * floats, at + images * floats),
          b.offsetB / 4 + (first + from) * floats,
        );
      } else if (b.role === 'sum') {
        const to = b.offsetB / 4;
        for (let k = 0; k < b.floats; k++) tfjs[to + k] = (tfjs[to + k] ?? 0) + (mine[at + k] ?? 0);
      }
    });
  }
  if (failure !== undefined) throw failure;
}
