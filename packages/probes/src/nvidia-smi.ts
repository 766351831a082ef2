// nvidia-smi probe: lists the GPUs, keeps the job's own (selectGpus), reads them with one long-running `-lms` process.
import type { ChildProcess } from 'node:child_process';
import {
  catchError,
  concat,
  defer,
  forkJoin,
  map,
  mergeMap,
  Observable,
  type OperatorFunction,
  of,
  throwError,
} from 'rxjs';
import { spawnTool } from './child-lifetime.js';
import { attachNotes, DeviceTracker, type TrackedDevice } from './device-state.js';
import { ProbeParseError, ProbeStalledError, ProbeUnavailableError } from './errors.js';
import { GpuSelectionError, type ListedGpu, type SelectedGpus, selectGpus } from './gpu-selection.js';
import type { Probe, ProbeCheck, ProbeEvent, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';
import { killChild, runOnce$, spawnLines } from './spawn.js';
import { parseTolerantly, type ToleranceOptions } from './tolerance.js';

export interface NvidiaSmiProbeOptions {
  /**
   * GPUs to read: nvidia-smi indices (numbers or digit strings), `GPU-…` UUIDs (a unique prefix is enough) or
   * `MIG-…` ids (their whole GPU is read). Wins over the environment; without it the job's GPUs come from
   * CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES, SLURM (see selectGpus), else all GPUs.
   */
  gpus?: readonly (number | string)[];
  /** Environment the selection variables are read from; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Default interval in ms (100); at least NVIDIA_SMI_MIN_INTERVAL_MS. */
  intervalMs?: number;
  /** Executable, `nvidia-smi` on PATH by default. */
  binary?: string;
  /** Observe every spawned child (tests). */
  onSpawn?: (child: ChildProcess) => void;
}

export const NVIDIA_SMI_DEFAULT_INTERVAL_MS = 100;
/**
 * nvidia-smi accepts any `-lms`, but the driver refreshes a board's power reading every 20-100 ms (power.draw.instant
 * at best ~20 ms), and each loop queries the GPUs one after another (a few ms each): below 20 ms readings only repeat.
 */
export const NVIDIA_SMI_MIN_INTERVAL_MS = 20;

/** Unusable readings in a row after which a GPU counts as lost (until it reads again). */
const LOST_AFTER_BAD_READINGS = 3;

/** One GPU in nvidia-smi's list (PCI bus order), with what the probe needs beyond ListedGpu. */
export interface NvidiaSmiGpu extends ListedGpu {
  /** PCI bus id as nvidia-smi prints it, e.g. `00000000:3B:00.0`. */
  busId?: string;
  /** Enforced power limit in W; absent when the board reports `[N/A]`. */
  powerLimitW?: number;
}

export interface NvidiaSmiRow {
  index: number;
  uuid: string;
  /** Watts when the reading is a number, else null. */
  powerW: number | null;
  /** `ok`; `unsupported` (`[N/A]`, `[Not Supported]`: no sensor); `bad` (`[Unknown Error]`, `[GPU is lost]`, garbage). */
  status: 'ok' | 'unsupported' | 'bad';
  /** The power field as printed. */
  value: string;
}

const UNSUPPORTED = new Set(['[N/A]', 'N/A', '[Not Supported]', 'Not Supported']);
// a number of watts, optionally with the unit: some drivers print `100.00 W` although `nounits` was asked
const WATTS = /^([0-9]+(?:\.[0-9]+)?)(?: W)?$/;

/** Watts from a printed power field (`100.00` or `100.00 W`); undefined for anything else or a non-finite number. */
function wattsOf(text: string): number | undefined {
  const m = WATTS.exec(text);
  const watts = m ? Number(m[1]) : Number.NaN;
  // a 400-digit "number" is Infinity in a double: not a reading either
  return Number.isFinite(watts) ? watts : undefined;
}
const LIST_QUERY = 'index,uuid,pci.bus_id,power.limit,name';
const DEVICE_HANDLE_ERROR =
  /^Unable to (?:determine|detect) the device handle for GPU\s*([0-9A-Fa-f:.]+?):\s+(.*)$/;

/**
 * Parses one `index, uuid, power` row of `--format=csv,noheader,nounits`; the power may keep a trailing ` W` (shape only: the power value is classified,
 * never thrown on, so one GPU's bad reading cannot cost another GPU its row). Throws ProbeParseError when the line is
 * not such a row (wrong field count, no index or uuid).
 */
export function parseNvidiaSmiLine(line: string): NvidiaSmiRow {
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length !== 3) {
    throw new ProbeParseError(
      `nvidia-smi: expected 3 comma-separated fields (index, uuid, power) but found ${fields.length} in ${JSON.stringify(line.slice(0, 200))}`,
      line,
    );
  }
  const [indexText = '', uuid = '', value = ''] = fields;
  if (!/^[0-9]{1,4}$/.test(indexText) || uuid === '') {
    throw new ProbeParseError(
      `nvidia-smi: expected a GPU index and uuid but found ${JSON.stringify(line.slice(0, 200))}`,
      line,
    );
  }
  const index = Number(indexText);
  const powerW = wattsOf(value);
  if (powerW !== undefined) return { index, uuid, powerW, status: 'ok', value };
  return { index, uuid, powerW: null, status: UNSUPPORTED.has(value) ? 'unsupported' : 'bad', value };
}

/**
 * nvidia-smi's line for a GPU it cannot reach (`Unable to determine the device handle for GPU0000:3B:00.0: GPU is
 * lost.  Reboot the system to recover this GPU`): the GPU as named there (a PCI bus id, or an index) and the error.
 * Undefined for any other line.
 */
export function parseNvidiaSmiDeviceError(line: string): { gpu: string; error: string } | undefined {
  const m = DEVICE_HANDLE_ERROR.exec(line.trim());
  return m ? { gpu: m[1] ?? '', error: (m[2] ?? '').trim() } : undefined;
}

/**
 * Parses one line of `--query-gpu=index,uuid,pci.bus_id,power.limit,name --format=csv,noheader,nounits` (the name
 * last: it is free text). Throws ProbeParseError for anything else.
 */
export function parseNvidiaSmiListLine(line: string): NvidiaSmiGpu {
  const fields = line.split(',').map((f) => f.trim());
  const [indexText = '', uuid = '', busId = '', limitText = ''] = fields;
  const name = fields.slice(4).join(', ');
  if (fields.length < 5 || !/^[0-9]{1,4}$/.test(indexText) || !/^GPU-/i.test(uuid) || name === '') {
    throw new ProbeParseError(
      `nvidia-smi: expected "index, uuid, pci.bus_id, power.limit, name" but found ${JSON.stringify(line.slice(0, 200))}`,
      line,
    );
  }
  const index = Number(indexText);
  const powerLimitW = wattsOf(limitText);
  return {
    index,
    uuid,
    deviceId: `gpu${index}`,
    name,
    ...(busId && !busId.startsWith('[') ? { busId } : {}),
    ...(powerLimitW !== undefined ? { powerLimitW } : {}),
  };
}

/**
 * The MIG instances of each GPU from `nvidia-smi -L` (`GPU 0: … (UUID: GPU-…)` then indented
 * `MIG 1g.5gb Device 0: (UUID: MIG-…)` lines): GPU index -> its MIG UUIDs. Other lines are ignored.
 */
export function parseNvidiaSmiMigList(text: string): Map<number, string[]> {
  const migs = new Map<number, string[]>();
  let gpu: number | undefined;
  for (const line of text.split('\n')) {
    const head = /^GPU ([0-9]{1,4}):/.exec(line.trim());
    if (head) {
      gpu = Number(head[1]);
      continue;
    }
    const mig = /^MIG\b.*\(UUID: (MIG-[^)\s]+)\)/.exec(line.trim());
    if (mig?.[1] && gpu !== undefined) migs.set(gpu, [...(migs.get(gpu) ?? []), mig[1]]);
  }
  return migs;
}

/** What nvidia-smi lists, and what was noticed while listing (a fallback, an unreachable GPU). */
export interface NvidiaSmiListing {
  gpus: NvidiaSmiGpu[];
  notes: string[];
}

/**
 * Lists the GPUs: `index,uuid,pci.bus_id,power.limit,name`. A tool that does not answer that query as asked (an old
 * driver without a field, a wrapper) falls back to `--query-gpu=index`, which every nvidia-smi answers: the GPUs are
 * then known by index only (noted). Errors: ProbeUnavailableError (not found, no GPU), ProbeStalledError (hung).
 */
export function listNvidiaSmiGpus$(
  binary: string,
  onSpawn?: (child: ChildProcess) => void,
  withMig = false,
): Observable<NvidiaSmiListing> {
  const listing$ = listGpusOnly$(binary, onSpawn);
  if (!withMig) return listing$;
  // a MIG UUID (MIG-<uuid>, R470 and later) does not name its GPU: `nvidia-smi -L` lists them under their GPU
  return listing$.pipe(
    mergeMap((listing) =>
      queryOnce$(binary, ['-L'], { onSpawn }).pipe(
        map((list) => {
          const migs = parseNvidiaSmiMigList(list.lines.join('\n'));
          return {
            ...listing,
            gpus: listing.gpus.map((g) =>
              migs.has(g.index) ? { ...g, migIds: migs.get(g.index) ?? [] } : g,
            ),
          };
        }),
      ),
    ),
  );
}

function listGpusOnly$(
  binary: string,
  onSpawn?: (child: ChildProcess) => void,
): Observable<NvidiaSmiListing> {
  const full$ = queryOnce$(binary, [`--query-gpu=${LIST_QUERY}`, '--format=csv,noheader,nounits'], {
    onSpawn,
    // a line that is neither a GPU nor an unreachable GPU: this nvidia-smi does not answer the query as asked
    stopAt: (line) => !isNvidiaSmiListLine(line) && parseNvidiaSmiDeviceError(line) === undefined,
  });
  return full$.pipe(
    mergeMap((full) => {
      const gpus = full.lines.filter(isNvidiaSmiListLine).map(parseNvidiaSmiListLine);
      const unreachable = full.lines.filter((l) => parseNvidiaSmiDeviceError(l) !== undefined);
      const notes = unreachable.map((l) => `nvidia-smi cannot reach a GPU: ${l}`);
      if (!full.stopped && gpus.length > 0) return of({ gpus, notes });
      return queryOnce$(binary, ['--query-gpu=index', '--format=csv,noheader,nounits'], { onSpawn }).pipe(
        map((short) => {
          const indices = short.lines.filter((l) => /^[0-9]{1,4}$/.test(l)).map(Number);
          if (indices.length === 0) {
            const said = (short.lines.join(' | ') || short.stderr.trim() || '(nothing)').slice(0, 300);
            throw new ProbeUnavailableError(
              `nvidia-smi found no GPU (exit ${short.code ?? 'none'}): ${said}; install the NVIDIA driver, or pick another probe`,
            );
          }
          const why = full.lines[full.lines.length - 1] ?? full.stderr.trim();
          return {
            gpus: indices.map((index) => ({ index, deviceId: `gpu${index}` })),
            notes: [
              ...notes,
              `nvidia-smi did not answer --query-gpu=${LIST_QUERY} (${JSON.stringify(why.slice(0, 120))}): ` +
                'GPUs are known by index only (no UUID, model or power limit)',
            ],
          };
        }),
      );
    }),
  );
}

/** Whether `line` is a row of the listing query (parseNvidiaSmiListLine accepts it). Package-internal. */
export function isNvidiaSmiListLine(line: string): boolean {
  try {
    parseNvidiaSmiListLine(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns the `-lms` loop's lines into readings and device events for the GPUs `tracker` follows: a `present` event
 * per GPU with the first line (that line's time), then per row: a number is a power
 * sample; `[N/A]` first is `unsupported`; anything else one `bad-reading`, LOST_AFTER_BAD_READINGS in a row `lost`;
 * nvidia-smi's "Unable to determine the device handle" line `lost` at once; a GPU absent while others print, `lost`.
 * A line that is no row at all is skipped and reported (tolerance.ts). The stream errors with
 * NoMeasurableDeviceError once every GPU is unsupported. `clock` gives each line's time (ms).
 */
export function nvidiaSmiEvents(
  tracker: DeviceTracker,
  gpus: readonly NvidiaSmiGpu[],
  field: string,
  options: ToleranceOptions = {},
  clock: () => number = nowMs,
): OperatorFunction<string, ProbeEvent> {
  let heardAnything = false;
  const labelOf = (index: number): string => gpuLabel(gpus.find((g) => g.index === index) ?? { index });
  const parse = (line: string): ProbeEvent[] => {
    if (line.trim() === '') return [];
    const tMs = clock();
    if (!heardAnything) tracker.resetSilence(tMs);
    const events: ProbeEvent[] = [];
    const unreachable = parseNvidiaSmiDeviceError(line);
    if (unreachable) {
      const gpu = findGpu(gpus, unreachable.gpu);
      if (!gpu) {
        throw new ProbeParseError(
          `nvidia-smi: cannot tell which GPU ${JSON.stringify(unreachable.gpu)} is in ${JSON.stringify(line.slice(0, 200))}`,
          line,
        );
      }
      events.push(
        ...tracker.lost(
          gpu.deviceId,
          tMs,
          `nvidia-smi says "${line.trim()}": ${gpuLabel(gpu)} is lost (off the bus or a driver fault); its energy ` +
            'from here on is missing until it reads again',
        ),
      );
    } else {
      const row = parseNvidiaSmiLine(line);
      const deviceId = `gpu${row.index}`;
      if (row.status === 'ok' && row.powerW !== null) {
        if (tracker.good(deviceId, tMs)) {
          events.push({
            kind: 'power',
            tMs,
            deviceId,
            component: 'gpu',
            source: 'nvidia-smi',
            estimated: false,
            powerW: row.powerW,
          });
        }
      } else if (row.status === 'unsupported') {
        events.push(
          ...tracker.unsupported(
            deviceId,
            tMs,
            `nvidia-smi reports ${field} of ${labelOf(row.index)} as ${row.value}: no power sensor the driver can read`,
            ', so it is not measured (leave it out with --gpus or CUDA_VISIBLE_DEVICES, or estimate it with --probe estimate)',
          ),
        );
      } else {
        events.push(
          ...tracker.bad(
            deviceId,
            tMs,
            `nvidia-smi printed ${JSON.stringify(row.value.slice(0, 60))} as ${field} of ${labelOf(row.index)}, ` +
              'not a number of watts; that reading is skipped',
          ),
        );
      }
    }
    events.push(...tracker.silent(tMs, 'nvidia-smi'));
    // the GPUs are announced with the tool's first row, not at spawn: nvidia-smi's start-up (seconds while the
    // driver initialises) is not time in which a GPU delivered nothing
    if (heardAnything) return events;
    heardAnything = true;
    return [...tracker.present(tMs), ...events];
  };
  return (source) =>
    source.pipe(
      parseTolerantly('nvidia-smi', parse, options),
      mergeMap((event) => {
        const none =
          event.kind === 'device' && event.state === 'unsupported' ? tracker.noneMeasurable() : undefined;
        return none
          ? concat(
              of(event),
              throwError(() => none),
            )
          : of(event);
      }),
    );
}

/** The GPU a device-handle error names: a PCI bus id (any domain width) or an index. */
function findGpu(gpus: readonly NvidiaSmiGpu[], named: string): NvidiaSmiGpu | undefined {
  if (/^[0-9]{1,4}$/.test(named)) return gpus.find((g) => g.index === Number(named));
  const tail = (id: string): string => id.toLowerCase().split(':').slice(-2).join(':');
  return gpus.find((g) => g.busId !== undefined && tail(g.busId) === tail(named));
}

function gpuLabel(gpu: { index: number; uuid?: string; name?: string }): string {
  const details = [gpu.uuid, gpu.name].filter(Boolean).join(', ');
  return `GPU ${gpu.index}${details ? ` (${details})` : ''}`;
}

function trackedDevice(gpu: NvidiaSmiGpu): TrackedDevice {
  return {
    deviceId: gpu.deviceId,
    label: gpuLabel(gpu),
    ...(gpu.uuid ? { uuid: gpu.uuid } : {}),
    ...(gpu.powerLimitW !== undefined ? { powerLimitW: gpu.powerLimitW } : {}),
  };
}

/** `-i` for the selection: UUIDs when known (stable across tools), else indices; none when every GPU is read. */
function idArgs(listing: NvidiaSmiListing, selection: SelectedGpus): string[] {
  if (selection.devices.length === listing.gpus.length) return [];
  return ['-i', selection.devices.map((g) => g.uuid ?? String(g.index)).join(',')];
}

/** Whether the selection (option or variables) names a MIG instance, so the listing must include MIG ids. */
function namesMig(options: NvidiaSmiProbeOptions): boolean {
  const env = options.env ?? process.env;
  const sources = [
    ...(options.gpus ?? []).map(String),
    env.CUDA_VISIBLE_DEVICES ?? '',
    env.NVIDIA_VISIBLE_DEVICES ?? '',
  ];
  return sources.some((v) => /MIG-/i.test(v));
}

function selectOrExplain(listing: NvidiaSmiListing, options: NvidiaSmiProbeOptions): SelectedGpus {
  const selection = selectGpus('nvidia', listing.gpus, {
    ...(options.gpus ? { gpus: options.gpus } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (selection.devices.length === 0) {
    throw new ProbeUnavailableError(
      `nvidia-smi: the job may use no GPU (${[selection.selectedBy, ...selection.notes].join('; ')}); nothing to ` +
        'measure with nvidia-smi: pick GPUs with --gpus, or another probe',
    );
  }
  return selection;
}

export function nvidiaSmiProbe(options: NvidiaSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'nvidia-smi';
  return {
    name: 'nvidia-smi',
    components: ['gpu'],
    estimated: false,
    minIntervalMs: NVIDIA_SMI_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      let listing: NvidiaSmiListing;
      try {
        listing = await lastOf(listNvidiaSmiGpus$(binary, options.onSpawn, namesMig(options)));
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
      let selection: SelectedGpus;
      try {
        selection = selectOrExplain(listing, options);
      } catch (err) {
        if (err instanceof GpuSelectionError) {
          return { available: false, reason: err.message, selectedBy: err.selectedBy };
        }
        return { available: false, reason: (err as Error).message };
      }
      // one reading of each selected GPU tells which have no power sensor
      const unmeasurable: Array<{ deviceId: string; reason: string }> = [];
      try {
        const once = await lastOf(
          queryOnce$(
            binary,
            [
              ...idArgs(listing, selection),
              '--query-gpu=index,uuid,power.draw',
              '--format=csv,noheader,nounits',
            ],
            { onSpawn: options.onSpawn, maxLines: selection.devices.length },
          ),
        );
        for (const line of once.lines) {
          const row = tryRow(line);
          const gpu = row && selection.devices.find((g) => g.index === row.index);
          if (row?.status === 'unsupported' && gpu) {
            unmeasurable.push({
              deviceId: gpu.deviceId,
              reason: `${gpuLabel(gpu)} reports power.draw as ${row.value}: no power sensor the driver can read`,
            });
          }
        }
      } catch {
        // a reading that fails here fails again in samples(), where it is reported per device
      }
      const devices = selection.devices
        .map((g) => g.deviceId)
        .filter((id) => !unmeasurable.some((u) => u.deviceId === id));
      if (devices.length === 0) {
        return {
          available: false,
          reason: `nvidia-smi: none of the selected GPUs can be measured: ${unmeasurable.map((u) => u.reason).join('; ')}`,
          devices,
          unmeasurable,
          selectedBy: selection.selectedBy,
        };
      }
      return { available: true, devices, unmeasurable, selectedBy: selection.selectedBy };
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const intervalMs = probeOptions?.intervalMs ?? options.intervalMs ?? NVIDIA_SMI_DEFAULT_INTERVAL_MS;
      if (!(intervalMs >= NVIDIA_SMI_MIN_INTERVAL_MS)) {
        throw new RangeError(
          `nvidia-smi: intervalMs must be >= ${NVIDIA_SMI_MIN_INTERVAL_MS}, got ${intervalMs}`,
        );
      }
      // `power.draw.instant` on drivers that have it (>= 535; power.draw is a 1 s average there), else power.draw
      const field$ = runOnce$(binary, ['--help-query-gpu'], {
        tool: 'nvidia-smi',
        timeoutMs: 5000,
        onSpawn: options.onSpawn,
      }).pipe(
        map(({ stdout }) => (stdout.includes('"power.draw.instant"') ? 'power.draw.instant' : 'power.draw')),
        catchError(() => of('power.draw' as const)), // the listing reports a missing binary
      );
      return defer(() =>
        forkJoin([listNvidiaSmiGpus$(binary, options.onSpawn, namesMig(options)), field$]),
      ).pipe(
        mergeMap(([listing, field]) => {
          const selection = selectOrExplain(listing, options);
          const tracker = new DeviceTracker(
            'nvidia-smi',
            'gpu',
            selection.selectedBy,
            attachNotes(selection.devices.map(trackedDevice), [...listing.notes, ...selection.notes]),
            {
              lostAfterBadReadings: LOST_AFTER_BAD_READINGS,
              // rows of one reading come together: a GPU missing from three readings in a row dropped out
              lostAfterSilentMs: Math.max(3 * intervalMs, 500),
            },
          );
          const lines$ = spawnLines(
            binary,
            [
              ...idArgs(listing, selection),
              `--query-gpu=index,uuid,${field}`,
              '--format=csv,noheader,nounits',
              '-lms',
              String(Math.round(intervalMs)),
            ],
            { tool: 'nvidia-smi', stallMs: Math.max(2000, 5 * intervalMs), onSpawn: options.onSpawn },
          );
          return lines$.pipe(nvidiaSmiEvents(tracker, listing.gpus, field, probeOptions));
        }),
      );
    },
  };
}

function tryRow(line: string): NvidiaSmiRow | undefined {
  try {
    return parseNvidiaSmiLine(line);
  } catch {
    return undefined;
  }
}

function lastOf<T>(source: Observable<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    let last: { value: T } | undefined;
    source.subscribe({
      next: (value) => {
        last = { value };
      },
      error: reject,
      complete: () => (last ? resolve(last.value) : reject(new Error('no value'))),
    });
  });
}

interface QueryResult {
  /** Non-empty stdout lines, trimmed. */
  lines: string[];
  stderr: string;
  /** Exit code; null when the query was stopped early. */
  code: number | null;
  /** True when `stopAt` or `maxLines` ended it before the tool exited (the tool was killed). */
  stopped: boolean;
}

/**
 * One query that should print and exit. It ends at exit, or earlier, killing the tool, at the line where `stopAt`
 * says the output is not what was asked, or once `maxLines` lines arrived: a tool that keeps printing (a wrapper that
 * loops) cannot hold eff up. Missing binary -> ProbeUnavailableError; no exit within `timeoutMs` (10 s; nvidia-smi
 * without persistence mode takes seconds to initialise the driver) -> ProbeStalledError.
 */
function queryOnce$(
  binary: string,
  args: readonly string[],
  options: {
    onSpawn?: ((child: ChildProcess) => void) | undefined;
    stopAt?: (line: string) => boolean;
    maxLines?: number;
    timeoutMs?: number;
  },
): Observable<QueryResult> {
  return new Observable<QueryResult>((subscriber) => {
    // tied to this process like the sampler (setpriv --pdeathsig): a listing in flight must not outlive eff either
    const child = spawnTool(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    let done = false;
    const finish = (code: number | null, stopped: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timerId);
      if (stopped) killChild(child);
      subscriber.next({ lines, stderr, code, stopped });
      subscriber.complete();
    };
    const timerId = setTimeout(() => {
      done = true;
      killChild(child);
      subscriber.error(
        new ProbeStalledError(
          `nvidia-smi ${args.join(' ')} did not finish within ${options.timeoutMs ?? 10_000} ms (killed); the driver ` +
            'hung: run nvidia-smi by hand to check',
        ),
      );
    }, options.timeoutMs ?? 10_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0 && !done) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') {
          lines.push(line);
          if (
            options.stopAt?.(line) ||
            (options.maxLines !== undefined && lines.length >= options.maxLines)
          ) {
            finish(null, true);
          }
        }
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      clearTimeout(timerId);
      subscriber.error(
        err.code === 'ENOENT'
          ? new ProbeUnavailableError(
              `\`${binary}\` not found on PATH; install the NVIDIA driver utilities, or pick another probe`,
              { cause: err },
            )
          : err,
      );
    });
    child.on('close', (code) => {
      if (buffered.trim() !== '' && !done) lines.push(buffered.trim());
      finish(code, false);
    });
    return () => {
      clearTimeout(timerId);
      killChild(child);
    };
  });
}
