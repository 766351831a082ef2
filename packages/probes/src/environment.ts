// What machine and software a run trained on (systeminformation + installed package versions): one implementation for the SDK and the CLI.
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, hostname, type as osType, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import si from 'systeminformation';

/** The machine part of a run record's `environment` (the shape of @eff/core's EnvironmentSchema). */
export interface MachineDescription {
  hostname: string;
  /** e.g. `Debian GNU/Linux 12 (linux x64, kernel 6.1.0)`. */
  os: string;
  /** CPU model and logical core count (os / systeminformation). */
  cpu: { model: string; cores: number };
  /** Installed memory, bytes. */
  memoryBytes: number;
  /** Graphics controllers systeminformation sees, with their memory in MB when known. */
  gpus: Array<{ model: string; memoryMB?: number }>;
  /** Node.js version without the `v`, e.g. `20.20.2`. */
  nodeVersion: string;
  /** Versions of eff's packages and of tfjs and its backends that are installed, by package name. */
  versions: Record<string, string>;
}

/** Packages whose version every record carries when installed (never guessed: absent when not found). */
export const TRACKED_PACKAGES = [
  '@eff/core',
  '@eff/probes',
  '@eff/models',
  '@eff/cli',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
] as const;

/**
 * Version of an installed package seen from `fromDir`, or undefined when it is not installed. Walks up node_modules
 * like Node's resolution does, reading package.json directly (some packages' `exports` hide it).
 */
export function installedVersion(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      try {
        return (JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version;
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface DescribeMachineOptions {
  /**
   * Directories (or `file:` URLs of modules) whose node_modules are searched for the tracked packages, first match
   * wins; the current directory and this package's own are always searched last. Pass your package's
   * `import.meta.url` so the versions are the ones your code loads.
   */
  searchFrom?: readonly string[];
  /** Versions known for sure (a package's own package.json), kept over any found by searching. */
  versions?: Record<string, string>;
  /** Describe again instead of reusing this process's description (hardware queries run once per process). */
  refresh?: boolean;
}

type Hardware = Omit<MachineDescription, 'versions' | 'nodeVersion'>;
let hardware: Promise<Hardware> | null = null;

async function readHardware(): Promise<Hardware> {
  const [cpu, mem, graphics, os] = await Promise.all([si.cpu(), si.mem(), si.graphics(), si.osInfo()]);
  return {
    hostname: hostname(),
    os: `${os.distro} ${os.release} (${os.platform} ${os.arch}, kernel ${os.kernel})`.trim(),
    cpu: { model: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores },
    memoryBytes: mem.total,
    gpus: graphics.controllers.map((g) => ({
      model: `${g.vendor} ${g.model}`.trim(),
      ...(g.vram ? { memoryMB: g.vram } : {}),
    })),
  };
}

const asDir = (p: string) => (p.startsWith('file:') ? dirname(fileURLToPath(p)) : p);

/** The tracked packages' versions seen from `searchFrom`, then the cwd, then this package; `versions` wins. */
function packageVersions(options: DescribeMachineOptions): Record<string, string> {
  const dirs = [
    ...(options.searchFrom ?? []).map(asDir),
    process.cwd(),
    dirname(fileURLToPath(import.meta.url)),
  ];
  const versions: Record<string, string> = {};
  for (const name of TRACKED_PACKAGES) {
    for (const dir of dirs) {
      const v = installedVersion(name, dir);
      if (v) {
        versions[name] = v;
        break;
      }
    }
  }
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  versions['@eff/probes'] = own.version;
  return Object.assign(versions, options.versions);
}

/**
 * What Node alone says about this machine, at once (no child process, no systeminformation): host, kernel, CPU
 * model and logical cores, memory, Node and package versions; no GPUs. The fallback when describeMachine cannot
 * finish in time (a training loop holding the event loop, a stuck tool).
 */
export function describeMachineQuickly(options: DescribeMachineOptions = {}): MachineDescription {
  const cores = cpus();
  return {
    hostname: hostname(),
    os: `${osType()} ${release()} (${platform()} ${arch()})`,
    cpu: { model: cores[0]?.model?.trim() ?? 'unknown', cores: cores.length },
    memoryBytes: totalmem(),
    gpus: [],
    nodeVersion: process.versions.node,
    versions: packageVersions(options),
  };
}

/**
 * Hardware, OS, Node and package versions of this machine, for a run record's `environment`. The hardware queries
 * (systeminformation: CPU, memory, graphics, OS; they may spawn lspci or nvidia-smi) run once per process.
 */
export async function describeMachine(options: DescribeMachineOptions = {}): Promise<MachineDescription> {
  if (!hardware || options.refresh) {
    const pending = readHardware();
    hardware = pending;
    pending.catch(() => {
      if (hardware === pending) hardware = null;
    });
  }
  const hw = await hardware;
  return {
    ...hw,
    gpus: hw.gpus.map((g) => ({ ...g })),
    nodeVersion: process.versions.node,
    versions: packageVersions(options),
  };
}
