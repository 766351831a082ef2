// rocm-smi probe: polls `rocm-smi --showpower [--showenergycounter] --json` each interval for AMD GPU power/energy.
import type { ChildProcess } from 'node:child_process';
import { catchError, exhaustMap, firstValueFrom, type Observable, timer } from 'rxjs';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import type { PowerSample, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';
import { oneLine, type RunResult, runOnce$ } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface RocmSmiProbeOptions {
  /** Default poll interval; each poll starts a Python process (~100-300 ms), so below 500 ms it cannot keep up. */
  intervalMs?: number;
  binary?: string;
  /** Also read the accumulated energy counter (`--showenergycounter`); default true. */
  energyCounter?: boolean;
  /** A poll running longer is killed and the stream errors with ProbeStalledError. Default 10 000 ms. */
  pollTimeoutMs?: number;
  onSpawn?: (child: ChildProcess) => void;
}

export const ROCM_SMI_DEFAULT_INTERVAL_MS = 1000;
export const ROCM_SMI_MIN_INTERVAL_MS = 500;
/** Default limit of one poll (a hung driver call); longer -> killed, ProbeStalledError. */
const POLL_TIMEOUT_MS = 10_000;

const POWER_KEYS = ['Current Socket Graphics Package Power (W)', 'Average Graphics Package Power (W)'];
const ENERGY_KEY = 'Accumulated Energy (uJ)';

export interface RocmSmiReading {
  card: string;
  powerW?: number;
  energyJ?: number;
}

// rocm_smi.py prints Python floats with str(): "35.0", "36930978.2", and for tiny or huge values "5e-06", "1.2e+16"
const NUMBER_RE = /^[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/;

function numberField(card: string, key: string, value: unknown, raw: string): number | undefined {
  // 'N/A' when the read failed, 'N/A (Secondary die)' on the second die of an MI200-class package
  if (value === undefined || (typeof value === 'string' && value.startsWith('N/A'))) return undefined;
  if (typeof value !== 'string' || !NUMBER_RE.test(value.trim())) {
    throw new ProbeParseError(
      `rocm-smi: expected a number for "${key}" of ${card} but found ${JSON.stringify(value)}`,
      raw,
    );
  }
  return Number(value);
}

/** Parses the JSON object printed by `rocm-smi --showpower [--showenergycounter] --json`. */
export function parseRocmSmiJson(text: string): RocmSmiReading[] {
  const start = text.indexOf('{');
  let data: unknown;
  try {
    data = start >= 0 ? JSON.parse(text.slice(start)) : undefined;
  } catch (err) {
    throw new ProbeParseError(
      `rocm-smi: expected JSON but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
      {
        cause: err,
      },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ProbeParseError(
      `rocm-smi: expected a JSON object of cards but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
    );
  }
  const readings: RocmSmiReading[] = [];
  for (const [card, fields] of Object.entries(data)) {
    if (!/^card[0-9]+$/.test(card)) continue; // "system" and other non-card sections
    if (typeof fields !== 'object' || fields === null) {
      throw new ProbeParseError(`rocm-smi: expected an object for ${card}`, text);
    }
    const record = fields as Record<string, unknown>;
    const powerKey = POWER_KEYS.find((k) => k in record);
    const powerW = powerKey ? numberField(card, powerKey, record[powerKey], text) : undefined;
    const energyUj = numberField(card, ENERGY_KEY, record[ENERGY_KEY], text);
    const reading: RocmSmiReading = { card };
    if (powerW !== undefined) reading.powerW = powerW;
    if (energyUj !== undefined) reading.energyJ = energyUj / 1e6;
    readings.push(reading);
  }
  return readings;
}

/** Turns one finished rocm-smi run into readings, or a typed error (no GPU, failure, unparseable JSON). */
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
  const readings = parseRocmSmiJson(stdout).filter((r) => r.powerW !== undefined || r.energyJ !== undefined);
  if (readings.length === 0) {
    throw new ProbeUnavailableError(
      'rocm-smi lists no card with a power or energy reading; pick another probe',
    );
  }
  return readings;
}

function samplesOf(readings: readonly RocmSmiReading[]): PowerSample[] {
  const tMs = nowMs();
  const out: PowerSample[] = [];
  for (const r of readings) {
    const base = { tMs, deviceId: r.card, component: 'gpu' as const, source: 'rocm-smi', estimated: false };
    // Prefer the hardware energy accumulator; power is the fallback.
    if (r.energyJ !== undefined) out.push({ ...base, kind: 'energy', energyJ: r.energyJ });
    else if (r.powerW !== undefined) out.push({ ...base, kind: 'power', powerW: r.powerW });
  }
  return out;
}

export function rocmSmiProbe(options: RocmSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'rocm-smi';
  const args = ['--showpower', ...(options.energyCounter === false ? [] : ['--showenergycounter']), '--json'];
  /** One poll; unsubscribing while it runs kills rocm-smi (no poll outlives the subscription). */
  const poll = (): Observable<RunResult> =>
    runOnce$(binary, args, {
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
  return {
    name: 'rocm-smi',
    components: ['gpu'],
    estimated: false,
    async check(): Promise<ProbeCheck> {
      try {
        const readings = readingsOf(await firstValueFrom(poll()));
        return { available: true, devices: readings.map((r) => r.card) };
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<PowerSample> {
      const intervalMs = probeOptions?.intervalMs ?? options.intervalMs ?? ROCM_SMI_DEFAULT_INTERVAL_MS;
      if (!(intervalMs >= ROCM_SMI_MIN_INTERVAL_MS)) {
        throw new RangeError(
          `rocm-smi: intervalMs must be >= ${ROCM_SMI_MIN_INTERVAL_MS}, got ${intervalMs}`,
        );
      }
      return timer(0, intervalMs).pipe(
        // exhaustMap: one rocm-smi at a time, a tick during a slow poll is skipped (not queued)
        exhaustMap(() => poll()),
        parseTolerantly('rocm-smi', (result: RunResult) => samplesOf(readingsOf(result)), probeOptions),
      );
    },
  };
}
