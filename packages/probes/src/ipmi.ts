// ipmi probe: whole-node power from the BMC, one `ipmitool dcmi power reading` per poll (component `system`).
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { catchError, defer, firstValueFrom, mergeMap, Observable, repeat, timer } from 'rxjs';
import { DeviceTracker } from './device-state.js';
import {
  ProbeError,
  ProbeExitedError,
  ProbeParseError,
  ProbePermissionError,
  ProbeUnavailableError,
} from './errors.js';
import {
  nowMs,
  type PowerReading,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';
import { oneLine, type RunResult, runOnce$ } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface IpmiProbeOptions {
  /** Poll interval in ms (default 1000). Shorter requests are raised to IPMI_MIN_INTERVAL_MS. */
  intervalMs?: number;
  /** The ipmitool executable (default `ipmitool`, found on PATH). */
  binary?: string;
  /**
   * Arguments placed before `dcmi power reading`, to reach another BMC than the local one, e.g.
   * `['-I', 'lanplus', '-H', 'bmc.example', '-U', 'admin', '-E']` (ipmitool reads the password from IPMI_PASSWORD
   * with `-E`). Default none: the local BMC through the OpenIPMI driver (`/dev/ipmi0`).
   */
  interfaceArgs?: readonly string[];
  /** Where the OpenIPMI device nodes are looked for to tell "no BMC" from "no permission" (default `/dev`). */
  devDir?: string;
  /** A poll running longer is killed and the stream errors with ProbeStalledError. Default 10 000 ms. */
  pollTimeoutMs?: number;
}

export const IPMI_DEFAULT_INTERVAL_MS = 1000;
/**
 * A BMC refreshes its DCMI reading once per sampling period, which BMCs report as 1 s (`Sampling period: 00000001
 * Seconds.` in ipmitool's output; the DCMI 1.5 spec's "Get Power Reading" statistics are kept per period): polling
 * faster returns the same number again. One ipmitool run through the KCS interface also takes 0.1–0.5 s.
 */
export const IPMI_MIN_INTERVAL_MS = 1000;
const POLL_TIMEOUT_MS = 10_000;
const DEVICE_ID = 'bmc';

/** One poll: its reading, or why there is none. */
type Polled = { reading: IpmiPowerReading; error?: undefined } | { reading?: undefined; error: Error };
const SOURCE = 'ipmi';

/** What one `ipmitool dcmi power reading` printed. */
export interface IpmiPowerReading {
  /** "Instantaneous power reading" in W (whole node, at the wall side of the PSUs on most servers). */
  powerW: number;
  /** "Average power reading over sample period" in W, when printed. */
  averageW?: number;
  /** "Power reading state is": false when the BMC says its power measurement is deactivated. */
  activated: boolean;
}

const INSTANT_RE = /Instantaneous power reading\s*:\s*(-?[0-9]+)\s*Watts/i;
const AVERAGE_RE = /Average power reading over sample period\s*:\s*(-?[0-9]+)\s*Watts/i;
const STATE_RE = /Power reading state is\s*:\s*(activated|deactivated)/i;

/**
 * Parses the text of `ipmitool dcmi power reading` (ipmitool 1.8.x, lib/ipmi_dcmi.c `ipmi_dcmi_pwr_rd`: lines
 * `    Instantaneous power reading:              %8d Watts`, `    Average power reading over sample period: %8d
 * Watts`, `    IPMI timestamp: …`, `    Sampling period: …`, `    Power reading state is: activated|deactivated`).
 * In 1.8.19 the timestamp has no newline, so "Sampling period" follows it on the same line; both layouts are read.
 * Throws ProbeParseError when no instantaneous reading is printed or it is negative.
 */
export function parseIpmiDcmiPowerReading(text: string): IpmiPowerReading {
  const instant = INSTANT_RE.exec(text);
  if (!instant) {
    throw new ProbeParseError(
      `ipmitool: expected "Instantaneous power reading: N Watts" but found ${JSON.stringify(oneLine(text).slice(0, 200))}`,
      text,
    );
  }
  const powerW = Number(instant[1]);
  if (!(powerW >= 0)) {
    throw new ProbeParseError(`ipmitool: instantaneous power ${instant[1]} W is not a power`, text);
  }
  const reading: IpmiPowerReading = {
    powerW,
    activated: STATE_RE.exec(text)?.[1]?.toLowerCase() !== 'deactivated',
  };
  const average = AVERAGE_RE.exec(text);
  if (average && Number(average[1]) >= 0) reading.averageW = Number(average[1]);
  return reading;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why ipmitool could not read the BMC, as a typed error with one reason each: no BMC (no device node), no permission
 * (the node exists but ipmitool could not open it), DCMI not supported (the BMC answers but not DCMI's power
 * command), or another failure (ProbeExitedError). ipmitool's open interface tries /dev/ipmi0, /dev/ipmi/0 and
 * /dev/ipmidev/0 and reports the errno of the last attempt (src/plugins/open/open.c), so a root-only /dev/ipmi0
 * still says "No such file or directory": the device nodes are checked here to tell the two apart.
 */
async function failureOf(result: RunResult, devDir: string, remote: boolean): Promise<ProbeError> {
  const said = oneLine(`${result.stderr}\n${result.stdout}`).slice(0, 300);
  if (/Could not open device|Permission denied/i.test(said) && !remote) {
    const nodes = [join(devDir, 'ipmi0'), join(devDir, 'ipmi', '0'), join(devDir, 'ipmidev', '0')];
    const present = [];
    for (const node of nodes) if (await exists(node)) present.push(node);
    if (present.length > 0 || /Permission denied/i.test(said)) {
      return new ProbePermissionError(
        `ipmi: no permission to open the BMC's device ${present[0] ?? join(devDir, 'ipmi0')} (ipmitool said: ${said}); ` +
          'it is root-only by default: run eff as root, or give your group access with a udev rule ' +
          '(KERNEL=="ipmi*", GROUP="ipmi", MODE="0660"), or use another probe',
      );
    }
    return new ProbeUnavailableError(
      `ipmi: no BMC here (no ${nodes[0]}; ipmitool said: ${said}); servers with a BMC need the kernel modules ` +
        '(`sudo modprobe ipmi_devintf ipmi_si`); laptops, desktops and most cloud VMs have none: use another probe',
    );
  }
  if (/DCMI request failed|Unable to get DCMI information|valid DCMI command was not returned/i.test(said)) {
    return new ProbeUnavailableError(
      `ipmi: the BMC does not support DCMI power readings (ipmitool said: ${said}); its power may still be in ` +
        '`ipmitool sdr type "Current"` (not read by eff): use another probe',
    );
  }
  return new ProbeExitedError(
    `ipmi: ipmitool failed (exit ${result.code}): ${said || 'no output'}`,
    result.code,
    null,
  );
}

/**
 * A probe reading the node's power from the BMC: each poll runs `ipmitool [interfaceArgs] dcmi power reading` and
 * emits the instantaneous reading as a `kind: 'power'` sample in W of device `bmc`, component `system` (the whole
 * machine: core takes it as the total instead of summing components, see docs/probes.md). Device events: `present`
 * once, a `bad-reading` for an unparseable poll (three in a row: `lost`). The stream errors when there is no BMC
 * (ProbeUnavailableError), no permission on its device (ProbePermissionError), DCMI power readings are not supported
 * or deactivated (ProbeUnavailableError), or ipmitool is missing or fails otherwise.
 */
export function ipmiProbe(options: IpmiProbeOptions = {}): Probe {
  const binary = options.binary ?? 'ipmitool';
  const args = [...(options.interfaceArgs ?? []), 'dcmi', 'power', 'reading'];
  const devDir = options.devDir ?? '/dev';
  const remote = (options.interfaceArgs ?? []).some((a) => a === '-H');
  const run = (): Observable<RunResult> =>
    runOnce$(binary, args, { tool: 'ipmitool', timeoutMs: options.pollTimeoutMs ?? POLL_TIMEOUT_MS }).pipe(
      catchError((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT'
          ? new ProbeUnavailableError(
              `ipmi: executable \`${binary}\` not found; install ipmitool (Debian/Ubuntu: apt-get install ipmitool)`,
              { cause: err },
            )
          : err;
      }),
    );
  /** One poll's reading, or the typed error that says why there is none. */
  const readingOf = async (result: RunResult): Promise<IpmiPowerReading> => {
    if (!INSTANT_RE.test(result.stdout)) {
      if (result.code !== 0 || result.stderr.trim() !== '' || /DCMI/.test(result.stdout))
        throw await failureOf(result, devDir, remote);
    }
    const reading = parseIpmiDcmiPowerReading(result.stdout);
    if (!reading.activated) {
      throw new ProbeUnavailableError(
        `ipmi: the BMC reports its power reading as deactivated (it prints ${reading.powerW} W, not a measurement); ` +
          'enable power monitoring in the BMC settings, or use another probe',
      );
    }
    return reading;
  };
  return {
    name: SOURCE,
    components: ['system'],
    estimated: false,
    minIntervalMs: IPMI_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      try {
        await readingOf(await firstValueFrom(run()));
        return { available: true, devices: [DEVICE_ID] };
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? IPMI_DEFAULT_INTERVAL_MS;
      const intervalMs = raisedIntervalMs(requestedMs, IPMI_MIN_INTERVAL_MS);
      return new Observable<ProbeEvent>((subscriber) => {
        const tracker = new DeviceTracker(SOURCE, 'system', 'all', [
          { deviceId: DEVICE_ID, label: `the BMC (${options.interfaceArgs?.join(' ') || 'local'})` },
        ]);
        let first = true;
        let pollStartMs = 0;
        const poll = defer(() => {
          pollStartMs = performance.now();
          return run();
        });
        return poll
          .pipe(
            mergeMap(async (result): Promise<Polled> => {
              try {
                return { reading: await readingOf(result) };
              } catch (err) {
                return { error: err as Error };
              }
            }),
            repeat({ delay: () => timer(Math.max(0, intervalMs - (performance.now() - pollStartMs))) }),
            parseTolerantly(
              SOURCE,
              (polled: Polled): ProbeEvent[] => {
                const tMs = nowMs();
                const { reading, error } = polled;
                if (reading === undefined) {
                  // unparseable output: skipped and counted by parseTolerantly (a gap, never a made-up number)
                  if (error instanceof ProbeParseError) throw error;
                  // before the first reading, or without permission, the BMC cannot be read at all
                  if (first || !(error instanceof ProbeError) || error instanceof ProbePermissionError)
                    throw error;
                  // after it, a failed poll is one bad reading of the BMC (three in a row: lost)
                  return tracker.bad(DEVICE_ID, tMs, error.message);
                }
                const out: ProbeEvent[] = first ? tracker.present(tMs) : [];
                first = false;
                tracker.good(DEVICE_ID, tMs);
                const sample: PowerReading = {
                  kind: 'power',
                  tMs,
                  deviceId: DEVICE_ID,
                  component: 'system',
                  source: SOURCE,
                  estimated: false,
                  powerW: reading.powerW,
                };
                return [...out, sample];
              },
              probeOptions,
            ),
          )
          .subscribe(subscriber);
      });
    },
  };
}
