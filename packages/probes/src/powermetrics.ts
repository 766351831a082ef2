// powermetrics probe (macOS, Apple Silicon): CPU, GPU and ANE power from one long-running `powermetrics` (needs root).
import { defer, filter, firstValueFrom, map, Observable, throwError } from 'rxjs';
import { DeviceTracker } from './device-state.js';
import { ProbeExitedError, ProbeParseError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import {
  type Component,
  nowMs,
  type PowerReading,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';
import { spawnLines } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface PowermetricsProbeOptions {
  /** Sampling interval in ms (default 1000; powermetrics' `-i`). Shorter than POWERMETRICS_MIN_INTERVAL_MS is raised. */
  intervalMs?: number;
  /** The powermetrics executable (default `/usr/bin/powermetrics`). */
  binary?: string;
  /**
   * powermetrics must run as root. When eff itself is not root, `sudo -n` is put before it (never a password
   * prompt: with no sudoers rule it fails with sudo's own message). Default true; false runs it as is.
   */
  sudo?: boolean;
  /** The OS this probe believes it runs on (default `process.platform`): it is available only on `darwin`. */
  platform?: NodeJS.Platform;
  /**
   * A GPU selection (`--gpus`, handed to every GPU probe): an Apple Silicon Mac has one GPU, index `0`; any other
   * entry makes the probe unavailable with that reason instead of measuring a GPU the selection did not name.
   */
  gpus?: readonly (string | number)[];
}

export const POWERMETRICS_DEFAULT_INTERVAL_MS = 1000;
/**
 * Each powermetrics sample is an average over its `-i` window, computed from the SoC's energy counters; windows
 * shorter than 100 ms are dominated by the sampler's own wake-ups (the man page warns that its power values are
 * estimates: short windows make them noisier, not more precise).
 */
export const POWERMETRICS_MIN_INTERVAL_MS = 100;
const SOURCE = 'powermetrics';
const SAMPLERS = 'cpu_power,gpu_power,ane_power';

/**
 * The devices: `cpu` (CPU Power, component cpu), `gpu` (GPU Power, component gpu), `ane` (ANE Power, the Neural
 * Engine: an accelerator beside the GPU, so component gpu; a `system` component would replace the whole total with
 * it), `dram` (DRAM Power, printed by some macOS releases, component ram). "Combined Power (CPU + GPU + ANE)" is the
 * sum of the first three and is never emitted (it would count them twice).
 */
const DEVICES: ReadonlyArray<{ label: string; deviceId: string; component: Component }> = [
  { label: 'CPU Power', deviceId: 'cpu', component: 'cpu' },
  { label: 'GPU Power', deviceId: 'gpu', component: 'gpu' },
  { label: 'ANE Power', deviceId: 'ane', component: 'gpu' },
  { label: 'DRAM Power', deviceId: 'dram', component: 'ram' },
];

/** One sample block of powermetrics: the power per device in W. */
export interface PowermetricsBlock {
  /** e.g. `{ cpu: 1.234, gpu: 0.056, ane: 0 }`. */
  powerW: Record<string, number>;
  /** "(1004.03ms elapsed)" of the block's header, when printed. */
  elapsedMs?: number;
}

const HEADER_RE = /^\*\*\* Sampled system activity \(.*?\)(?: \(([0-9.]+)\s*ms elapsed\))? \*\*\*/;
const POWER_RE =
  /^(CPU Power|GPU Power|ANE Power|DRAM Power|Combined Power \(CPU \+ GPU \+ ANE\))\s*:\s*(.*)$/;

/**
 * Line-by-line parser of powermetrics' text output (`--samplers cpu_power,gpu_power,ane_power`): a block starts with
 * `*** Sampled system activity (<date>) (<ms>ms elapsed) ***`; its processor section prints `CPU Power: 1234 mW`,
 * `GPU Power: …`, `ANE Power: …` and `Combined Power (CPU + GPU + ANE): … mW`, and the GPU section prints `GPU Power`
 * again: the first value of each label in a block is used. `feed` returns a finished block when the Combined line
 * arrives (or, without one, when the next block starts), else null. A block with a power line whose value is not
 * `N mW` / `N W` is refused as a whole when it finishes (ProbeParseError): one bad output per block, so a tolerance
 * counts blocks, not lines.
 */
export class PowermetricsParser {
  private current: PowermetricsBlock | undefined;
  private bad: ProbeParseError | undefined;
  private done = false;

  feed(line: string): PowermetricsBlock | null {
    const trimmed = line.trim();
    const header = HEADER_RE.exec(trimmed);
    if (header) {
      const finished = this.flush();
      this.current = { powerW: {}, ...(header[1] !== undefined ? { elapsedMs: Number(header[1]) } : {}) };
      this.done = false;
      return finished;
    }
    const m = POWER_RE.exec(trimmed);
    if (!m || !this.current || this.done) return null;
    const [, label = '', valueText = ''] = m;
    if (label.startsWith('Combined')) return this.flush();
    // POWER_RE's `\s*(.*)$` on the trimmed line leaves no whitespace around valueText
    const value = /^([0-9]+(?:\.[0-9]+)?)\s*(mW|W)$/.exec(valueText);
    if (!value) {
      this.bad ??= new ProbeParseError(
        `powermetrics: "${label}" is ${JSON.stringify(valueText.slice(0, 60))}, not "N mW"`,
        line,
      );
      return null;
    }
    const watts = Number(value[1]) / (value[2] === 'mW' ? 1000 : 1);
    const device = DEVICES.find((d) => d.label === label);
    if (device && !(device.deviceId in this.current.powerW)) this.current.powerW[device.deviceId] = watts;
    return null;
  }

  /** The block read so far, once (null when empty or already returned); throws its ProbeParseError if it had one. */
  flush(): PowermetricsBlock | null {
    if (!this.current || this.done) return null;
    this.done = true;
    const bad = this.bad;
    this.bad = undefined;
    if (bad) throw bad;
    return Object.keys(this.current.powerW).length > 0 ? this.current : null;
  }
}

function argsOf(binary: string, intervalMs: number, sudo: boolean, count?: number): [string, string[]] {
  const args = ['--samplers', SAMPLERS, '-i', String(Math.round(intervalMs)), '-b', '1'];
  if (count !== undefined) args.push('-n', String(count));
  // root runs it directly; anyone else through sudo -n (no prompt), when allowed
  const root = process.getuid?.() === 0;
  return !root && sudo ? ['sudo', ['-n', binary, ...args]] : [binary, args];
}

/** A failure of powermetrics (or of sudo before it) as the typed error that says what to do. */
function failureOf(err: unknown, binary: string): Error {
  if (err instanceof ProbeUnavailableError) {
    return new ProbeUnavailableError(
      `powermetrics: \`${binary}\` not found (it ships with macOS in /usr/bin)`,
      {
        cause: err,
      },
    );
  }
  const said = err instanceof ProbeExitedError ? (err.lastWords ?? err.message) : (err as Error).message;
  if (/superuser|must be run as root|Operation not permitted/i.test(said)) {
    return new ProbePermissionError(
      `powermetrics needs root (it said: ${said}); run eff with sudo, or allow it without a password: a sudoers rule ` +
        `\`<you> ALL=(root) NOPASSWD: ${binary}\` (eff then runs \`sudo -n ${binary}\`)`,
      { cause: err },
    );
  }
  if (/a password is required|a terminal is required|not in the sudoers/i.test(said)) {
    return new ProbePermissionError(
      `powermetrics needs root and sudo would ask for a password (sudo said: ${said}); add a sudoers rule ` +
        `\`<you> ALL=(root) NOPASSWD: ${binary}\`, or run eff with sudo`,
      { cause: err },
    );
  }
  return err as Error;
}

/**
 * A probe reading Apple Silicon power from one long-running `powermetrics --samplers cpu_power,gpu_power,ane_power
 * -i <ms> -b 1` (through `sudo -n` when eff is not root): per block, `kind: 'power'` samples in W of devices `cpu`
 * (component cpu), `gpu` and `ane` (component gpu: the Neural Engine is an accelerator beside the GPU) and `dram`
 * (component ram, when printed); "Combined Power" is their sum and is not emitted. Available on macOS only (or when
 * `platform: 'darwin'` is forced, for tests); without root the reason says so (ProbePermissionError on the stream).
 * powermetrics' values are the OS's estimates from the SoC's energy counters (man powermetrics): measured, not
 * utilisation × TDP, so samples are not marked estimated.
 */
export function powermetricsProbe(options: PowermetricsProbeOptions = {}): Probe {
  const binary = options.binary ?? '/usr/bin/powermetrics';
  const sudo = options.sudo ?? true;
  const platform = options.platform ?? process.platform;
  const notMac = (): ProbeUnavailableError =>
    new ProbeUnavailableError(`powermetrics: only on macOS (Apple Silicon); this is ${platform}`);
  const otherGpu = (options.gpus ?? []).map(String).find((g) => g.trim() !== '0');
  const badSelection = (): ProbeUnavailableError =>
    new ProbeUnavailableError(
      `powermetrics: the GPU selection names ${JSON.stringify(otherGpu)}, but an Apple Silicon Mac has one GPU (0)`,
    );
  return {
    name: SOURCE,
    components: ['cpu', 'gpu', 'ram'],
    estimated: false,
    minIntervalMs: POWERMETRICS_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      if (platform !== 'darwin') return { available: false, reason: notMac().message };
      if (otherGpu !== undefined)
        return { available: false, reason: badSelection().message, selectedBy: 'option' };
      const parser = new PowermetricsParser();
      const [command, args] = argsOf(binary, 200, sudo, 2);
      try {
        const block = await firstValueFrom(
          spawnLines(command, args, { tool: SOURCE, stallMs: 5000 }).pipe(
            map((line) => {
              try {
                return parser.feed(line);
              } catch {
                return null;
              }
            }),
            filter((b): b is PowermetricsBlock => b !== null),
          ),
        );
        return { available: true, devices: Object.keys(block.powerW) };
      } catch (err) {
        const failure = failureOf(err, binary);
        const reason =
          failure instanceof ProbeExitedError ||
          failure instanceof ProbePermissionError ||
          failure instanceof ProbeUnavailableError
            ? failure.message
            : `powermetrics printed no CPU/GPU/ANE power (${failure.message}); it reports them on Apple Silicon only`;
        return { available: false, reason };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? POWERMETRICS_DEFAULT_INTERVAL_MS;
      const intervalMs = raisedIntervalMs(requestedMs, POWERMETRICS_MIN_INTERVAL_MS);
      return defer(() => {
        if (platform !== 'darwin') return throwError(notMac);
        if (otherGpu !== undefined) return throwError(badSelection);
        const parser = new PowermetricsParser();
        // devices are announced from the first block (DRAM only when this macOS prints it)
        let tracker: DeviceTracker | undefined;
        const [command, args] = argsOf(binary, intervalMs, sudo);
        return spawnLines(command, args, { tool: SOURCE, stallMs: Math.max(5000, 5 * intervalMs) }).pipe(
          // whole blocks (or their parse errors) go through the tolerance: a line that finishes nothing is no output
          map((line): PowermetricsBlock | Error | null => {
            try {
              return parser.feed(line);
            } catch (err) {
              return err as Error;
            }
          }),
          filter((b): b is PowermetricsBlock | Error => b !== null),
          parseTolerantly(
            SOURCE,
            (block: PowermetricsBlock | Error): ProbeEvent[] => {
              if (block instanceof Error) throw block;
              const tMs = nowMs();
              const out: ProbeEvent[] = [];
              if (!tracker) {
                tracker = new DeviceTracker(
                  SOURCE,
                  'cpu',
                  'all',
                  DEVICES.filter((d) => d.deviceId in block.powerW).map((d) => ({
                    deviceId: d.deviceId,
                    label: d.label.replace(' Power', ''),
                    component: d.component,
                  })),
                );
                out.push(...tracker.present(tMs));
              }
              for (const d of DEVICES) {
                const powerW = block.powerW[d.deviceId];
                if (powerW === undefined || !tracker.good(d.deviceId, tMs)) continue;
                const sample: PowerReading = {
                  kind: 'power',
                  tMs,
                  deviceId: d.deviceId,
                  component: d.component,
                  source: SOURCE,
                  estimated: false,
                  powerW,
                };
                out.push(sample);
              }
              return out;
            },
            probeOptions,
          ),
        );
      }).pipe(
        // spawn failures and an exit before the first block say what to do (root, sudo, not found)
        (source) =>
          new Observable<ProbeEvent>((subscriber) =>
            source.subscribe({
              next: (e) => subscriber.next(e),
              error: (err: unknown) => subscriber.error(failureOf(err, binary)),
              complete: () => subscriber.complete(),
            }),
          ),
      );
    },
  };
}
