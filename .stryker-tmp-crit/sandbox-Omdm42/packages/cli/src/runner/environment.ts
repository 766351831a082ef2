// @ts-nocheck
// What machine and software trained a run (systeminformation + package versions), recorded with every result.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from '@eff/core';
import si from 'systeminformation';

/**
 * Version of an installed package, or undefined when it is not installed (never guessed). Walks up
 * node_modules like Node does, reading package.json directly: some packages' `exports` hide it.
 */
function versionOf(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const OWN_PACKAGES = new URL('../../package.json', import.meta.url);

function ownVersion(): string {
  return (JSON.parse(readFileSync(OWN_PACKAGES, 'utf8')) as { version: string }).version;
}

const TRACKED = [
  '@eff/core',
  '@eff/probes',
  '@eff/models',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

/**
 * Hardware, OS and versions of this machine. `backend` (and `trainingThreads`, on wasm) are filled in once tfjs
 * has picked one.
 */
export async function describeEnvironment(backend?: string, trainingThreads?: number): Promise<Environment> {
  const [cpu, mem, graphics, os] = await Promise.all([si.cpu(), si.mem(), si.graphics(), si.osInfo()]);
  const versions: Record<string, string> = { '@eff/cli': ownVersion() };
  for (const name of TRACKED) {
    const v = versionOf(name);
    if (v) versions[name] = v;
  }
  return {
    hostname: hostname(),
    os: `${os.distro} ${os.release} (${os.platform} ${os.arch}, kernel ${os.kernel})`.trim(),
    cpu: { model: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores },
    memoryBytes: mem.total,
    gpus: graphics.controllers.map((g) => ({
      model: `${g.vendor} ${g.model}`.trim(),
      ...(g.vram ? { memoryMB: g.vram } : {}),
    })),
    nodeVersion: process.versions.node,
    ...(backend ? { backend } : {}),
    ...(trainingThreads ? { trainingThreads } : {}),
    versions,
  };
}
