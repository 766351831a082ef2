// rocm-smi probe: polls `rocm-smi --showpower [--showenergycounter] --json` each interval for AMD GPU power/energy.
import type { ChildProcess } from 'node:child_process';
import { concatMap, from, type Observable, timer } from 'rxjs';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import type { PowerSample, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';
import { runOnce } from './spawn.js';

export interface RocmSmiProbeOptions {
  /** Default poll interval; each poll starts a Python process (~100-300 ms), so below 500 ms it cannot keep up. */
  intervalMs?: number;
  binary?: string;
  /** Also read the accumulated energy counter (`--showenergycounter`); default true. */
  energyCounter?: boolean;
  onSpawn?: (child: ChildProcess) => void;
}

export const ROCM_SMI_DEFAULT_INTERVAL_MS = 1000;
export const ROCM_SMI_MIN_INTERVAL_MS = 500;

const POWER_KEYS = ['Current Socket Graphics Package Power (W)', 'Average Graphics Package Power (W)'];
const ENERGY_KEY = 'Accumulated Energy (uJ)';

export interface RocmSmiReading {
  card: string;
  powerW?: number;
  energyJ?: number;
}

function numberField(card: string, key: string, value: unknown, raw: string): number | undefined {
  if (value === undefined || value === 'N/A') return undefined;
  if (typeof value !== 'string' || !/^[0-9]+(\.[0-9]+)?$/.test(value.trim())) {
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

export function rocmSmiProbe(options: RocmSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'rocm-smi';
  const args = ['--showpower', ...(options.energyCounter === false ? [] : ['--showenergycounter']), '--json'];
  const query = async (): Promise<RocmSmiReading[]> => {
    let result: Awaited<ReturnType<typeof runOnce>>;
    try {
      result = await runOnce(binary, args, 10_000);
    } catch (err) {
      throw new ProbeUnavailableError(`rocm-smi: executable \`${binary}\` not found; install rocm-smi`, {
        cause: err,
      });
    }
    const { code, stdout, stderr } = result;
    if (!stdout.includes('{')) {
      const why = (stderr || stdout).trim().slice(0, 300);
      if (code === 0 || /not initialized|not found|No AMD GPU/i.test(why)) {
        throw new ProbeUnavailableError(
          `rocm-smi found no AMD GPU (exit ${code}): ${why || 'no output'}; load the amdgpu driver or pick another probe`,
        );
      }
      throw new ProbeExitedError(`rocm-smi failed (exit ${code}): ${why}`, code, null);
    }
    const readings = parseRocmSmiJson(stdout).filter(
      (r) => r.powerW !== undefined || r.energyJ !== undefined,
    );
    if (readings.length === 0) {
      throw new ProbeUnavailableError(
        'rocm-smi lists no card with a power or energy reading; pick another probe',
      );
    }
    return readings;
  };
  return {
    name: 'rocm-smi',
    components: ['gpu'],
    estimated: false,
    async check(): Promise<ProbeCheck> {
      try {
        const readings = await query();
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
        // concatMap: one rocm-smi at a time; runOnce's timeout kills a hung one
        concatMap(() =>
          from(
            query().then((readings) => {
              const tMs = nowMs();
              const out: PowerSample[] = [];
              for (const r of readings) {
                const base = {
                  tMs,
                  deviceId: r.card,
                  component: 'gpu' as const,
                  source: 'rocm-smi',
                  estimated: false,
                };
                // Prefer the hardware energy accumulator; power is the fallback.
                if (r.energyJ !== undefined) out.push({ ...base, kind: 'energy', energyJ: r.energyJ });
                else if (r.powerW !== undefined) out.push({ ...base, kind: 'power', powerW: r.powerW });
              }
              return out;
            }),
          ).pipe(concatMap((xs) => xs)),
        ),
      );
    },
  };
}
