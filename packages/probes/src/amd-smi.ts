// amd-smi probe (ROCm 6+): polls `amd-smi metric --power --energy --json`, power and energy of each AMD GPU on its own.
import { catchError, defer, firstValueFrom, mergeMap, Observable, of, repeat, throwError, timer } from 'rxjs';
import { DeviceTracker } from './device-state.js';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import { selectGpus } from './gpu-selection.js';
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

export interface AmdSmiProbeOptions {
  /** Default poll interval in ms (1000). Shorter requests are raised to AMD_SMI_MIN_INTERVAL_MS. */
  intervalMs?: number;
  /** The amd-smi executable (default `amd-smi`, found on PATH; ROCm installs it in /opt/rocm/bin). */
  binary?: string;
  /** A poll running longer is killed and the stream errors with ProbeStalledError. Default 10 000 ms. */
  pollTimeoutMs?: number;
  /**
   * The GPUs to measure: amd-smi indices (`0`, `'1'`). Wins over ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES /
   * CUDA_VISIBLE_DEVICES and SLURM's variables (see selectGpus); default: what those say, else every GPU. amd-smi's
   * metric output has no ROCr unique id, so `GPU-…` entries are refused here: use indices, or the rocm-smi probe.
   */
  gpus?: readonly (string | number)[];
  /** Environment the selection variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export const AMD_SMI_DEFAULT_INTERVAL_MS = 1000;
/**
 * One poll is one Python start of amd-smi plus the library's init (amdsmi_init), the same cost as one rocm-smi run
 * (measured here for Debian's rocm-smi 5.2.3: 0.60 s median, 0.75 s max; amd-smi is not packaged by Debian, so its
 * own time could not be measured on this machine): the same 1000 ms minimum.
 */
export const AMD_SMI_MIN_INTERVAL_MS = 1000;
const POLL_TIMEOUT_MS = 10_000;
const SOURCE = 'amd-smi';

/** One GPU of one amd-smi output: what could be read, and why the rest could not. */
export interface AmdSmiReading {
  /** amd-smi's index (`"gpu": N`). */
  gpu: number;
  /** `gpu<N>`, the device id of the probe. */
  deviceId: string;
  /** Socket power in W (6.1+: `power.socket_power`; 6.0: `power.current_power`). */
  powerW?: number;
  /** Accumulated energy in J (`energy.total_energy_consumption`, the accumulator × its resolution). */
  energyJ?: number;
  /** `power.power_limit` in W (printed by 6.0 only). */
  powerLimitW?: number;
  /** Fields printed but unusable, one sentence each, empty when all were usable. */
  problems: string[];
}

type Field = { value: number } | { problem: string } | undefined;

/**
 * A measured value as amd-smi prints it in JSON: `{"value": 123, "unit": "W"}` (6.1 and later, amdsmi_helpers
 * `unit_format`), a bare number (6.0), `"N/A"` when the library call failed, or absent. `unit` is checked against
 * `units` (value × factor to reach W or J), since amd-smi may change a unit (mW, mJ, uJ) between releases.
 */
function measuredValue(
  holder: unknown,
  key: string,
  what: string,
  units: Readonly<Record<string, number>>,
): Field {
  if (typeof holder !== 'object' || holder === null || !(key in holder)) return undefined;
  const raw = (holder as Record<string, unknown>)[key];
  let value: unknown = raw;
  let factor = 1;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'value' in raw) {
    value = (raw as { value: unknown }).value;
    const unit = (raw as { unit?: unknown }).unit;
    if (unit !== undefined) {
      const f = typeof unit === 'string' ? units[unit] : undefined;
      if (f === undefined)
        return {
          problem: `${what} is in unit ${JSON.stringify(unit)}, not one of ${Object.keys(units).join(', ')}`,
        };
      factor = f;
    }
  }
  if (typeof value === 'string' && value.startsWith('N/A')) return { problem: `${what} is ${value}` };
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^[0-9.e+-]+$/i.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || !Number.isFinite(n * factor)) {
    return { problem: `${what} is ${JSON.stringify(raw)}, not a non-negative number` };
  }
  return { value: n * factor };
}

const WATTS = { W: 1, mW: 1e-3, uW: 1e-6 };
const JOULES = { J: 1, mJ: 1e-3, uJ: 1e-6, kJ: 1e3 };

function readGpu(entry: unknown, position: number): AmdSmiReading {
  const record =
    typeof entry === 'object' && entry !== null && !Array.isArray(entry)
      ? (entry as Record<string, unknown>)
      : {};
  const gpu =
    typeof record.gpu === 'number' && Number.isInteger(record.gpu) && record.gpu >= 0 ? record.gpu : position;
  const reading: AmdSmiReading = { gpu, deviceId: `gpu${gpu}`, problems: [] };
  if (record !== entry) {
    reading.problems.push(`its entry is ${JSON.stringify(entry)}, not an object`);
    return reading;
  }
  const power = record.power;
  if (typeof power === 'string') reading.problems.push(`power is ${power}`);
  // 6.1+ prints socket_power (current, else average socket power); 6.0 printed current_power
  for (const key of ['socket_power', 'current_power']) {
    const f = measuredValue(power, key, `power.${key}`, WATTS);
    if (f && 'value' in f) {
      reading.powerW = f.value;
      break;
    }
    if (f) reading.problems.push(f.problem);
  }
  const limit = measuredValue(power, 'power_limit', 'power.power_limit', WATTS);
  if (limit && 'value' in limit && limit.value > 0) reading.powerLimitW = limit.value;
  const energy = record.energy;
  if (typeof energy === 'string') reading.problems.push(`energy is ${energy}`);
  const e = measuredValue(energy, 'total_energy_consumption', 'energy.total_energy_consumption', JOULES);
  if (e && 'value' in e) reading.energyJ = e.value;
  else if (e) reading.problems.push(e.problem);
  if (reading.powerW !== undefined)
    reading.problems = reading.problems.filter((p) => !p.startsWith('power.'));
  return reading;
}

/**
 * Parses the JSON printed by `amd-smi metric --power --energy --json` into one reading per GPU, in amd-smi's order.
 * The output is a list of objects `{"gpu": N, "power": {...} | "N/A", "energy": {"total_energy_consumption": …} |
 * "N/A"}` (amdsmi_cli/amdsmi_logger.py `_print_json_output`, amdsmi_commands.py `metric_gpu`, ROCm 6.0–6.2); newer
 * releases wrap it as `{"gpu_data": [...]}`, read too. Log lines before the JSON are skipped. A GPU whose values are
 * "N/A" or malformed still gets a reading with `problems` saying why. Throws ProbeParseError only when the output
 * holds no such list.
 */
export function parseAmdSmiMetricJson(text: string): AmdSmiReading[] {
  const start = text.search(/[[{]/);
  let data: unknown;
  try {
    data = start >= 0 ? JSON.parse(text.slice(start)) : undefined;
  } catch (err) {
    throw new ProbeParseError(
      `amd-smi: expected JSON but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
      {
        cause: err,
      },
    );
  }
  const list = Array.isArray(data)
    ? data
    : typeof data === 'object' && data !== null && Array.isArray((data as { gpu_data?: unknown }).gpu_data)
      ? (data as { gpu_data: unknown[] }).gpu_data
      : undefined;
  if (list === undefined) {
    throw new ProbeParseError(
      `amd-smi: expected a JSON list of GPUs but found ${JSON.stringify(text.slice(0, 200))}`,
      text,
    );
  }
  const readings = list.map(readGpu);
  // two entries claiming one index would read as one device: keep the first
  const seen = new Set<number>();
  return readings.filter((r) => !seen.has(r.gpu) && seen.add(r.gpu));
}

/** One finished run as per-GPU readings, or a typed error (no driver, no GPU, a failure). */
function readingsOf(result: RunResult): AmdSmiReading[] {
  const { code, stdout, stderr } = result;
  if (!/[[{]/.test(stdout)) {
    const why = oneLine(stderr || stdout).slice(0, 300);
    if (
      /Driver not loaded|not found in modules|Unable to detect any GPU|No GPU|AMDSMI_STATUS_(DRIVER_NOT_LOADED|NOT_FOUND|NO_DRV)/i.test(
        why,
      ) ||
      code === 0
    ) {
      throw new ProbeUnavailableError(
        `amd-smi found no AMD GPU (exit ${code}): ${why || 'no output'}; load the amdgpu driver (sudo modprobe amdgpu) or pick another probe`,
      );
    }
    if (/permission|AMDSMI_STATUS_NO_PERM/i.test(why)) {
      throw new ProbeUnavailableError(
        `amd-smi may not read the GPUs (exit ${code}): ${why}; add your user to the render and video groups`,
      );
    }
    throw new ProbeExitedError(`amd-smi failed (exit ${code}): ${why || 'no output'}`, code, null);
  }
  const readings = parseAmdSmiMetricJson(stdout);
  if (readings.length === 0) throw new ProbeUnavailableError('amd-smi lists no GPU; pick another probe');
  return readings;
}

function hasValue(r: AmdSmiReading): boolean {
  return r.powerW !== undefined || r.energyJ !== undefined;
}

function problemsOf(r: AmdSmiReading): string {
  return r.problems.length > 0 ? r.problems.join('; ') : 'amd-smi prints no power and no energy for it';
}

function samplesOf(r: AmdSmiReading, tMs: number): PowerSample[] {
  const base = { tMs, deviceId: r.deviceId, component: 'gpu' as const, source: SOURCE, estimated: false };
  const out: PowerSample[] = [];
  if (r.energyJ !== undefined) out.push({ ...base, kind: 'energy', energyJ: r.energyJ });
  if (r.powerW !== undefined) out.push({ ...base, kind: 'power', powerW: r.powerW });
  return out;
}

/**
 * One subscription's view of the GPUs, each one's fate kept by a DeviceTracker: the first parseable poll selects
 * the job's GPUs and announces them (`present`), those with nothing usable are `unsupported`; later polls give each
 * GPU's samples, a `bad-reading` when it read nothing usable (three in a row: `lost`), `lost` when it is missing.
 * Returns an Error as the last element when no GPU can be measured (the events still reach the consumer first).
 */
class AmdGpus {
  private tracker: DeviceTracker | undefined;
  private ids: string[] = [];
  private selectedBy = 'all';
  readonly unmeasurable: Array<{ deviceId: string; reason: string }> = [];

  constructor(private readonly selection: Pick<AmdSmiProbeOptions, 'gpus' | 'env'>) {}

  eventsOf(readings: readonly AmdSmiReading[]): Array<ProbeEvent | Error> {
    const tMs = nowMs();
    const tracker = this.tracker;
    if (!tracker) return this.first(readings, tMs);
    const byId = new Map(readings.map((r) => [r.deviceId, r]));
    const out: Array<ProbeEvent | Error> = [];
    for (const id of this.ids) {
      const r = byId.get(id);
      if (r === undefined) {
        out.push(
          ...tracker.lost(
            id,
            tMs,
            `${id} is missing from amd-smi's output (it fell off the bus or the driver reset it)`,
          ),
        );
      } else if (!hasValue(r)) {
        out.push(
          ...tracker.bad(id, tMs, `${id}: ${problemsOf(r)}; this poll's reading of the GPU is skipped`),
        );
      } else if (tracker.good(id, tMs)) {
        out.push(...samplesOf(r, tMs));
      }
    }
    return out;
  }

  private first(all: readonly AmdSmiReading[], tMs: number): Array<ProbeEvent | Error> {
    const selection = selectGpus(
      'amd',
      all.map((r) => ({ index: r.gpu, deviceId: r.deviceId })),
      this.selection,
    );
    this.selectedBy = selection.selectedBy;
    const chosen = new Set(selection.devices.map((d) => d.deviceId));
    if (chosen.size === 0) {
      return [
        new ProbeUnavailableError(
          `amd-smi: ${selection.selectedBy} leaves the job no GPU to measure` +
            `${selection.notes.length > 0 ? ` (${selection.notes.join('; ')})` : ''}; pick another probe`,
        ),
      ];
    }
    const readings = all.filter((r) => chosen.has(r.deviceId));
    const tracker = new DeviceTracker(
      SOURCE,
      'gpu',
      this.selectedBy,
      readings.map((r) => ({
        deviceId: r.deviceId,
        label: `GPU ${r.gpu}`,
        ...(r.powerLimitW !== undefined ? { powerLimitW: r.powerLimitW } : {}),
      })),
    );
    this.tracker = tracker;
    this.ids = readings.map((r) => r.deviceId);
    const out: Array<ProbeEvent | Error> = [...tracker.present(tMs)];
    for (const r of readings) {
      if (hasValue(r)) continue;
      const reason = `${r.deviceId}: ${problemsOf(r)}; the driver cannot read this GPU's power, so it is not measured`;
      this.unmeasurable.push({ deviceId: r.deviceId, reason });
      out.push(...tracker.unsupported(r.deviceId, tMs, reason));
    }
    const none = tracker.noneMeasurable();
    if (none) return [...out, none];
    for (const r of readings)
      if (hasValue(r) && tracker.good(r.deviceId, tMs)) out.push(...samplesOf(r, tMs));
    return out;
  }

  check(readings: readonly AmdSmiReading[]): ProbeCheck {
    const events = this.first(readings, nowMs());
    const unsupported = new Set(this.unmeasurable.map((u) => u.deviceId));
    const devices = this.ids.filter((id) => !unsupported.has(id));
    const check: ProbeCheck = { available: devices.length > 0, devices, selectedBy: this.selectedBy };
    if (this.unmeasurable.length > 0) check.unmeasurable = [...this.unmeasurable];
    const fatal = events.find((e): e is Error => e instanceof Error);
    if (fatal) check.reason = fatal.message;
    return check;
  }
}

/**
 * A probe reading every AMD GPU amd-smi lists (ROCm 6 and later), one amd-smi process per poll (one at a time; a poll
 * starts one interval after the previous one started). Each poll emits, per GPU, the energy counter (`kind:
 * 'energy'`, J, `energy.total_energy_consumption`) and the socket power (`kind: 'power'`, W) when printed, so that
 * core checks the counter against the power (frozen, backwards, above the power limit). DeviceEvents say which GPUs
 * are measured, which cannot be (`unsupported`), and which read badly or vanished later. The stream errors only when
 * no GPU can be measured, amd-smi is missing or fails, or its output stops being JSON (after the tolerated bad
 * polls). `intervalMs` below AMD_SMI_MIN_INTERVAL_MS is raised to it.
 */
export function amdSmiProbe(options: AmdSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'amd-smi';
  const args = ['metric', '--power', '--energy', '--json'];
  const run = (): Observable<RunResult> =>
    runOnce$(binary, args, { tool: SOURCE, timeoutMs: options.pollTimeoutMs ?? POLL_TIMEOUT_MS }).pipe(
      catchError((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT'
          ? new ProbeUnavailableError(
              `amd-smi: executable \`${binary}\` not found; install ROCm 6+ (amd-smi, usually /opt/rocm/bin) or use rocm-smi`,
              { cause: err },
            )
          : err;
      }),
    );
  return {
    name: SOURCE,
    components: ['gpu'],
    estimated: false,
    minIntervalMs: AMD_SMI_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      try {
        return new AmdGpus(options).check(readingsOf(await firstValueFrom(run())));
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? AMD_SMI_DEFAULT_INTERVAL_MS;
      const intervalMs = raisedIntervalMs(requestedMs, AMD_SMI_MIN_INTERVAL_MS);
      return new Observable<ProbeEvent>((subscriber) => {
        const gpus = new AmdGpus(options);
        let pollStartMs = 0;
        const poll = defer(() => {
          pollStartMs = performance.now();
          return run();
        });
        return poll
          .pipe(
            repeat({ delay: () => timer(Math.max(0, intervalMs - (performance.now() - pollStartMs))) }),
            parseTolerantly(SOURCE, (result: RunResult) => gpus.eventsOf(readingsOf(result)), probeOptions),
            mergeMap((e) => (e instanceof Error ? throwError(() => e) : of(e))),
          )
          .subscribe(subscriber);
      });
    },
  };
}
