// nvidia-smi probe: one long-running `--query-gpu=... --format=csv,noheader,nounits -lms N` process per subscription.
import type { ChildProcess } from 'node:child_process';
import { catchError, map, mergeMap, type Observable, of } from 'rxjs';
import { ProbeParseError, ProbeUnavailableError } from './errors.js';
import type { PowerReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';
import { runOnce, runOnce$, spawnLines } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface NvidiaSmiProbeOptions {
  /** GPU indices to read (`-i`); all GPUs when omitted. */
  gpus?: readonly number[];
  /** Default interval; nvidia-smi's `-lms` accepts down to ~10 ms but the driver refreshes power every ~20-100 ms. */
  intervalMs?: number;
  /** Executable, `nvidia-smi` on PATH by default. */
  binary?: string;
  /** Observe the spawned child (tests). */
  onSpawn?: (child: ChildProcess) => void;
}

export const NVIDIA_SMI_DEFAULT_INTERVAL_MS = 100;
export const NVIDIA_SMI_MIN_INTERVAL_MS = 20;

export interface NvidiaSmiRow {
  index: number;
  uuid: string;
  /** null when the driver prints [N/A] or [Not Supported]. */
  powerW: number | null;
}

const UNSUPPORTED = new Set(['[N/A]', '[Not Supported]', 'N/A', '[Unknown Error]']);

/** Parses one `index, uuid, power` line of `--format=csv,noheader,nounits`. Throws ProbeParseError otherwise. */
export function parseNvidiaSmiLine(line: string): NvidiaSmiRow {
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length !== 3) {
    throw new ProbeParseError(
      `nvidia-smi: expected 3 comma-separated fields (index, uuid, power) but found ${fields.length} in ${JSON.stringify(line.slice(0, 200))}`,
      line,
    );
  }
  const [indexText = '', uuid = '', powerText = ''] = fields;
  if (!/^[0-9]+$/.test(indexText) || uuid === '') {
    throw new ProbeParseError(
      `nvidia-smi: expected a GPU index and uuid but found ${JSON.stringify(line.slice(0, 200))}`,
      line,
    );
  }
  if (UNSUPPORTED.has(powerText)) return { index: Number(indexText), uuid, powerW: null };
  if (!/^[0-9]+(\.[0-9]+)?$/.test(powerText)) {
    throw new ProbeParseError(
      `nvidia-smi: expected a power in W (or [N/A]) but found ${JSON.stringify(powerText.slice(0, 100))}`,
      line,
    );
  }
  return { index: Number(indexText), uuid, powerW: Number(powerText) };
}

export function nvidiaSmiProbe(options: NvidiaSmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'nvidia-smi';
  const baseArgs = (): string[] => (options.gpus ? ['-i', options.gpus.join(',')] : []);
  return {
    name: 'nvidia-smi',
    components: ['gpu'],
    estimated: false,
    async check(): Promise<ProbeCheck> {
      try {
        const { code, stdout, stderr } = await runOnce(binary, [
          ...baseArgs(),
          '--query-gpu=index',
          '--format=csv,noheader,nounits',
        ]);
        const ids = stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /^[0-9]+$/.test(l));
        if (code !== 0 || ids.length === 0) {
          return {
            available: false,
            reason: `nvidia-smi found no GPU (exit ${code}): ${(stderr || stdout).trim().slice(0, 200)}; install the NVIDIA driver or pick another probe`,
          };
        }
        return { available: true, devices: ids.map((i) => `gpu${i}`) };
      } catch {
        return {
          available: false,
          reason: `\`${binary}\` not found on PATH; install the NVIDIA driver utilities`,
        };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<PowerReading> {
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
        catchError(() => of('power.draw' as const)), // spawnLines reports a missing binary
      );
      return field$.pipe(
        mergeMap((field) =>
          spawnLines(
            binary,
            [
              ...baseArgs(),
              `--query-gpu=index,uuid,${field}`,
              '--format=csv,noheader,nounits',
              `-lms`,
              String(Math.round(intervalMs)),
            ],
            { tool: 'nvidia-smi', stallMs: Math.max(2000, 5 * intervalMs), onSpawn: options.onSpawn },
          ),
        ),
        parseTolerantly(
          'nvidia-smi',
          (line: string): PowerReading[] => {
            if (line.trim() === '') return [];
            const tMs = nowMs();
            const row = parseNvidiaSmiLine(line);
            if (row.powerW === null) {
              throw new ProbeUnavailableError(
                `nvidia-smi reports power as not available on GPU ${row.index} (${row.uuid}); ` +
                  'this board has no power sensor: use `--probe estimate` for it',
              );
            }
            return [
              {
                kind: 'power',
                tMs,
                deviceId: `gpu${row.index}`,
                component: 'gpu',
                source: 'nvidia-smi',
                estimated: false,
                powerW: row.powerW,
              },
            ];
          },
          probeOptions,
        ),
      );
    },
  };
}
