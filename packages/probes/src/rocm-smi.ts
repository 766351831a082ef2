// rocm-smi probe: polls `rocm-smi --showpower --showenergycounter --json` each interval, each AMD card on its own.
import type { ChildProcess } from 'node:child_process';
import {
  catchError,
  defer,
  firstValueFrom,
  mergeMap,
  Observable,
  of,
  repeat,
  switchMap,
  throwError,
  timer,
} from 'rxjs';
import { DeviceTracker } from './device-state.js';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import { type ListedGpu, selectGpus } from './gpu-selection.js';
import {
  nowMs,
  type PowerSample,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';
import { oneLine, type RunResult, runOnce$ } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface RocmSmiProbeOptions {
  /** Default poll interval in ms (1000). Shorter requests are raised to ROCM_SMI_MIN_INTERVAL_MS. */
  intervalMs?: number;
  binary?: string;
  /** Also read the accumulated energy counter (`--showenergycounter`); default true. */
  energyCounter?: boolean;
  /** A poll running longer is killed and the stream errors with ProbeStalledError. Default 10 000 ms. */
  pollTimeoutMs?: number;
  onSpawn?: (child: ChildProcess) => void;
  /**
   * The cards to measure: rocm-smi indices (`0`, `'1'`) or `GPU-…` ids (ROCr's form of the card's unique id, a
   * unique prefix is enough). Wins over ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES / CUDA_VISIBLE_DEVICES and
   * SLURM's variables (see selectGpus); default: what those say, else every card.
   */
  gpus?: readonly (string | number)[];
  /** Environment the selection variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export const ROCM_SMI_DEFAULT_INTERVAL_MS = 1000;
/**
 * One poll is one Python start of rocm_smi.py: measured on the CI VM (2 cores, shared) with Debian's rocm-smi 5.2.3,
 * 20 runs of `rocm-smi --showpower --showenergycounter --json`, median 0.60 s, max 0.75 s (docs/probes.md). A
 * shorter interval cannot be delivered (the next poll waits for the previous one), so the minimum is the max plus ~30 %.
 */
export const ROCM_SMI_MIN_INTERVAL_MS = 1000;
/** Default limit of one poll (a hung driver call); longer -> killed, ProbeStalledError. */
const POLL_TIMEOUT_MS = 10_000;

// Newer rocm-smi (MI300, ROCm 6) prints the socket's instantaneous power, older ones the driver's average.
const POWER_KEYS = ['Current Socket Graphics Package Power (W)', 'Average Graphics Package Power (W)'];
const ENERGY_UJ_KEY = 'Accumulated Energy (uJ)';
const ENERGY_COUNT_KEY = 'Energy counter';
const MAX_POWER_KEY = 'Max Graphics Package Power (W)';
const UNIQUE_ID_KEY = 'Unique ID';
/**
 * µJ per "Energy counter" tick when rocm-smi prints only the raw count: rocm_smi.py's showEnergy documents the
 * default energy status unit as 15.3 µJ; "Accumulated Energy (uJ)" (count × the board's own resolution) wins.
 */
export const ROCM_ENERGY_COUNTER_RESOLUTION_UJ = 15.3;

/** One card of one rocm-smi output: what could be read, and why the rest could not. */
export interface RocmSmiReading {
  /** `card<N>`, rocm-smi's own index (the DRM minor order). */
  card: string;
  /** Package power in W (current socket power, else the average). */
  powerW?: number;
  /** Accumulated energy in J (from µJ, or counter ticks × 15.3 µJ). */
  energyJ?: number;
  /** The card's power cap in W (`--showmaxpower`). */
  maxPowerW?: number;
  /** `Unique ID` (`--showuniqueid`), e.g. `0x18a3b2c4d5e6f708`. */
  uniqueId?: string;
  /** Fields printed but unusable, one sentence each (`"Average … (W)" is N/A`), empty when all were usable. */
  problems: string[];
}

// rocm_smi.py prints Python floats with str(): "35.0", "36930978.2", and for tiny or huge values "5e-06", "1.2e+16"
const NUMBER_RE = /^[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/;

type Field = { value: number } | { problem: string } | undefined;

/** A numeric field: its value, why it is unusable, or undefined when the card does not print it. */
function numberField(record: Record<string, unknown>, key: string): Field {
  if (!(key in record)) return undefined;
  const value = record[key];
  // Some builds print numbers unquoted; rocm_smi.py itself prints str() of everything.
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return { value };
  if (typeof value === 'string' && NUMBER_RE.test(value.trim())) {
    const n = Number(value.trim());
    if (Number.isFinite(n)) return { value: n };
  }
  // 'N/A' when the read failed, 'N/A (Secondary die)' on the second die of an MI200-class package
  if (typeof value === 'string' && value.startsWith('N/A')) return { problem: `"${key}" is ${value}` };
  return { problem: `"${key}" is ${JSON.stringify(value)}, not a number` };
}

/** The first usable field among `keys`, else the problems of those printed. */
function firstUsable(record: Record<string, unknown>, keys: readonly string[], problems: string[]) {
  const found: string[] = [];
  for (const key of keys) {
    const field = numberField(record, key);
    if (field === undefined) continue;
    if ('value' in field) return field.value;
    found.push(field.problem);
  }
  problems.push(...found);
  return undefined;
}

function readCard(card: string, fields: unknown): RocmSmiReading {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    return { card, problems: [`its entry is ${JSON.stringify(fields)}, not an object of fields`] };
  }
  const record = fields as Record<string, unknown>;
  const reading: RocmSmiReading = { card, problems: [] };
  const powerW = firstUsable(record, POWER_KEYS, reading.problems);
  if (powerW !== undefined) reading.powerW = powerW;
  const energyUj = firstUsable(record, [ENERGY_UJ_KEY], reading.problems);
  if (energyUj !== undefined) reading.energyJ = energyUj / 1e6;
  else {
    const ticks = firstUsable(record, [ENERGY_COUNT_KEY], []);
    const energyJ = ticks === undefined ? undefined : (ticks * ROCM_ENERGY_COUNTER_RESOLUTION_UJ) / 1e6;
    // a count so large that × 15.3 µJ overflows is not a reading
    if (energyJ !== undefined && Number.isFinite(energyJ)) reading.energyJ = energyJ;
    else if (energyJ !== undefined)
      reading.problems.push(`"${ENERGY_COUNT_KEY}" is ${ticks}, too large to be a count`);
  }
  const maxPowerW = firstUsable(record, [MAX_POWER_KEY], []);
  if (maxPowerW !== undefined && maxPowerW > 0) reading.maxPowerW = maxPowerW;
  const uid = record[UNIQUE_ID_KEY];
  if (typeof uid === 'string' && /^0x[0-9a-f]+$/i.test(uid.trim()))
    reading.uniqueId = uid.trim().toLowerCase();
  return reading;
}

/**
 * Parses the JSON object printed by `rocm-smi --showpower [--showenergycounter] [--showmaxpower] [--showuniqueid]
 * --json` into one reading per `card<N>` key, in rocm-smi's order (the `system` section and other keys are
 * skipped). A card whose fields are N/A or not numbers still gets a reading, with `problems` saying why: one bad
 * card never spoils the others. Throws ProbeParseError only when the whole output is not a JSON object.
 */
export function parseRocmSmiJson(text: string): RocmSmiReading[] {
  const start = text.indexOf('{');
  if (start < 0) {
    throw new ProbeParseError(
      `rocm-smi: expected a JSON object of cards but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
    );
  }
  // JSON text that starts with `{` is an object or a syntax error: no other shape to refuse
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text.slice(start));
  } catch (err) {
    throw new ProbeParseError(
      `rocm-smi: expected JSON but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
      {
        cause: err,
      },
    );
  }
  return Object.entries(data)
    .filter(([card]) => /^card[0-9]+$/.test(card))
    .map(([card, fields]) => readCard(card, fields));
}

/** Turns one finished rocm-smi run into per-card readings, or a typed error (no GPU, failure, unparseable JSON). */
function readingsOf(result: RunResult): RocmSmiReading[] {
  const { code, stdout, stderr } = result;
  if (!stdout.includes('{')) {
    const why = oneLine(stderr || stdout).slice(0, 300);
    if (code === 0 || /not initialized|not found|No AMD GPU/i.test(why)) {
      throw new ProbeUnavailableError(
        `rocm-smi found no AMD GPU (exit ${code}): ${why || 'no output'}; load the amdgpu driver or pick another probe`,
      );
    }
    throw new ProbeExitedError(`rocm-smi failed (exit ${code}): ${why}`, code, null);
  }
  const readings = parseRocmSmiJson(stdout);
  if (readings.length === 0) {
    throw new ProbeUnavailableError('rocm-smi lists no card (no `card<N>` in its JSON); pick another probe');
  }
  return readings;
}

/**
 * ROCr's name for a card (`GPU-` and the unique id as 16 hex digits, as rocminfo prints it and as
 * ROCR_VISIBLE_DEVICES accepts it), from rocm-smi's `Unique ID` (Python hex(), e.g. `0x18a3b2c4d5e6f708`).
 */
function rocrUuid(uniqueId: string): string {
  return `GPU-${uniqueId.replace(/^0x/i, '').padStart(16, '0')}`;
}

function hasValue(r: RocmSmiReading): boolean {
  return r.powerW !== undefined || r.energyJ !== undefined;
}

function problemsOf(r: RocmSmiReading): string {
  return r.problems.length > 0 ? r.problems.join('; ') : 'rocm-smi prints no power and no energy for it';
}

function whyUnmeasurable(r: RocmSmiReading): string {
  const what = `${r.card}: ${problemsOf(r)}`;
  if (r.problems.some((p) => p.includes('Secondary die'))) {
    return `${what}; its power is counted in the primary die's reading (the card above or below)`;
  }
  return `${what}; the driver cannot read this card's power sensor, so it is not measured`;
}

/** Samples of one card of one poll: the counter and the power reading, both, so core can check one by the other. */
function samplesOf(r: RocmSmiReading, tMs: number): PowerSample[] {
  const base = { tMs, deviceId: r.card, component: 'gpu' as const, source: 'rocm-smi', estimated: false };
  const out: PowerSample[] = [];
  if (r.energyJ !== undefined) out.push({ ...base, kind: 'energy', energyJ: r.energyJ });
  if (r.powerW !== undefined) out.push({ ...base, kind: 'power', powerW: r.powerW });
  return out;
}

/**
 * One subscription's view of the cards (each card's fate is kept by device-state's DeviceTracker): the first
 * parseable poll decides which cards the job may use and announces them (`present`, with their power cap and unique
 * id), those with nothing usable are `unsupported`; later polls give each card's samples, a `bad-reading` when it
 * read nothing usable (three in a row: `lost`), `lost` when it is missing from the output. Returns an Error as the
 * last element when no card can be measured, so the events still reach the consumer before the stream errors.
 */
class RocmCards {
  private tracker: DeviceTracker | undefined;
  private cards: string[] = [];
  private selectedBy = 'all';
  private readonly unmeasurable: Array<{ deviceId: string; reason: string }> = [];

  constructor(private readonly selection: Pick<RocmSmiProbeOptions, 'gpus' | 'env'> = {}) {}

  get discovered(): boolean {
    return this.tracker !== undefined;
  }

  eventsOf(readings: readonly RocmSmiReading[]): Array<ProbeEvent | Error> {
    const tMs = nowMs();
    const tracker = this.tracker;
    if (!tracker) return this.first(readings, tMs);
    const byCard = new Map(readings.map((r) => [r.card, r]));
    const out: Array<ProbeEvent | Error> = [];
    for (const card of this.cards) {
      const r = byCard.get(card);
      if (r === undefined) {
        out.push(
          ...tracker.lost(
            card,
            tMs,
            `${card} is missing from rocm-smi's output (it fell off the bus or the driver reset it)`,
          ),
        );
      } else if (!hasValue(r)) {
        out.push(
          ...tracker.bad(card, tMs, `${card}: ${problemsOf(r)}; this poll's reading of the card is skipped`),
        );
      } else if (tracker.good(card, tMs)) {
        out.push(...samplesOf(r, tMs));
      }
    }
    return out;
  }

  /** The cards the job may use (GpuSelectionError when the selection names a card that is not there). */
  private select(all: readonly RocmSmiReading[]): RocmSmiReading[] {
    const listed: ListedGpu[] = all.map((r) => ({
      index: Number(r.card.slice('card'.length)),
      deviceId: r.card,
      ...(r.uniqueId !== undefined ? { uuid: rocrUuid(r.uniqueId) } : {}),
    }));
    const selection = selectGpus('amd', listed, this.selection);
    this.selectedBy = selection.selectedBy;
    const chosen = new Set(selection.devices.map((d) => d.deviceId));
    if (chosen.size === 0) {
      throw new ProbeUnavailableError(
        `rocm-smi: ${selection.selectedBy} leaves the job no GPU to measure` +
          `${selection.notes.length > 0 ? ` (${selection.notes.join('; ')})` : ''}; pick another probe`,
      );
    }
    return all.filter((r) => chosen.has(r.card));
  }

  private first(all: readonly RocmSmiReading[], tMs: number): Array<ProbeEvent | Error> {
    const readings = this.select(all);
    const tracker = new DeviceTracker(
      'rocm-smi',
      'gpu',
      this.selectedBy,
      readings.map((r) => ({
        deviceId: r.card,
        label: r.uniqueId !== undefined ? `${r.card} (${rocrUuid(r.uniqueId)})` : r.card,
        ...(r.uniqueId !== undefined ? { uuid: rocrUuid(r.uniqueId) } : {}),
        ...(r.maxPowerW !== undefined ? { powerLimitW: r.maxPowerW } : {}),
      })),
    );
    this.tracker = tracker;
    this.cards = readings.map((r) => r.card);
    const out: Array<ProbeEvent | Error> = [...tracker.present(tMs)];
    for (const r of readings) {
      if (hasValue(r)) continue;
      const reason = whyUnmeasurable(r);
      this.unmeasurable.push({ deviceId: r.card, reason });
      out.push(...tracker.unsupported(r.card, tMs, reason));
    }
    const none = tracker.noneMeasurable();
    if (none) return [...out, none];
    for (const r of readings) if (hasValue(r) && tracker.good(r.card, tMs)) out.push(...samplesOf(r, tMs));
    return out;
  }

  /** check()'s answer from a first poll. */
  check(readings: readonly RocmSmiReading[]): ProbeCheck {
    const events = this.first(readings, nowMs());
    const unsupported = new Set(this.unmeasurable.map((u) => u.deviceId));
    const devices = this.cards.filter((c) => !unsupported.has(c));
    const check: ProbeCheck = { available: devices.length > 0, devices, selectedBy: this.selectedBy };
    if (this.unmeasurable.length > 0) check.unmeasurable = [...this.unmeasurable];
    const fatal = events.find((e): e is Error => e instanceof Error);
    if (fatal) check.reason = fatal.message;
    return check;
  }
}

/**
 * A probe reading every AMD card rocm-smi lists, one rocm-smi process per poll (one at a time; a poll starts one
 * interval after the previous one started, or as soon as it ended when it took longer). Each poll emits, per card, the energy counter (`kind: 'energy'`, J) and the power
 * reading (`kind: 'power'`, W) when printed; DeviceEvents say which cards are measured (`present`, with
 * `powerLimitW` and the unique id as `uuid` from the first poll), which cannot be (`unsupported`), and which read
 * badly or vanished later (`bad-reading`, `lost`). The stream errors only when no card can be measured, rocm-smi
 * is missing or fails, or its output stops being JSON (after the tolerated bad polls). `intervalMs` below
 * ROCM_SMI_MIN_INTERVAL_MS is raised to it.
 */
export function rocmSmiProbe(options: RocmSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'rocm-smi';
  const args = ['--showpower', ...(options.energyCounter === false ? [] : ['--showenergycounter']), '--json'];
  // The first poll also asks for the power cap and unique id (once: each extra flag costs driver calls).
  const firstArgs = [...args.slice(0, -1), '--showmaxpower', '--showuniqueid', '--json'];
  /** One run; unsubscribing while it runs kills rocm-smi (no poll outlives the subscription). */
  const run = (runArgs: readonly string[]): Observable<RunResult> =>
    runOnce$(binary, runArgs, {
      tool: 'rocm-smi',
      timeoutMs: options.pollTimeoutMs ?? POLL_TIMEOUT_MS,
      onSpawn: options.onSpawn,
    }).pipe(
      catchError((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT'
          ? new ProbeUnavailableError(`rocm-smi: executable \`${binary}\` not found; install rocm-smi`, {
              cause: err,
            })
          : err;
      }),
    );
  // An older rocm-smi that rejects the extra flags still gets measured, without caps and ids.
  const firstRun = (): Observable<RunResult> =>
    run(firstArgs).pipe(
      switchMap((result) => (result.stdout.includes('{') || result.code === 0 ? of(result) : run(args))),
    );
  return {
    name: 'rocm-smi',
    components: ['gpu'],
    estimated: false,
    minIntervalMs: ROCM_SMI_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      try {
        return new RocmCards(options).check(readingsOf(await firstValueFrom(firstRun())));
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? ROCM_SMI_DEFAULT_INTERVAL_MS;
      // Never throw and never yield nothing: a shorter (or nonsensical) interval becomes the minimum.
      const intervalMs = raisedIntervalMs(requestedMs, ROCM_SMI_MIN_INTERVAL_MS);
      return new Observable<ProbeEvent>((subscriber) => {
        const cards = new RocmCards(options);
        let pollStartMs = 0;
        const poll = defer(() => {
          pollStartMs = performance.now();
          return cards.discovered ? run(args) : firstRun();
        });
        // One rocm-smi at a time; the next starts one interval after the previous started, or at once when that
        // poll took longer (on a loaded machine a poll can take seconds: waiting for the next tick would double it).
        return poll
          .pipe(
            repeat({ delay: () => timer(Math.max(0, intervalMs - (performance.now() - pollStartMs))) }),
            parseTolerantly(
              'rocm-smi',
              (result: RunResult) => cards.eventsOf(readingsOf(result)),
              probeOptions,
            ),
            mergeMap((e) => (e instanceof Error ? throwError(() => e) : of(e))),
          )
          .subscribe(subscriber);
      });
    },
  };
}
