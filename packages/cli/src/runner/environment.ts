// What machine and software trained a run: @eff/probes' describeMachine (shared with measureEfficiency) plus the CLI's version.
import { readFileSync } from 'node:fs';
import type { Environment } from '@eff/core';
import { describeMachine } from '@eff/probes';

const OWN_PACKAGE = new URL('../../package.json', import.meta.url);

function ownVersion(): string {
  return (JSON.parse(readFileSync(OWN_PACKAGE, 'utf8')) as { version: string }).version;
}

/**
 * Hardware, OS and versions of this machine (describeMachine, searched from the CLI's own node_modules). `backend`
 * (and `trainingThreads`, on wasm) are filled in once tfjs has picked one.
 */
export async function describeEnvironment(backend?: string, trainingThreads?: number): Promise<Environment> {
  const machine = await describeMachine({
    searchFrom: [import.meta.url],
    versions: { '@eff/cli': ownVersion() },
  });
  return {
    ...machine,
    ...(backend ? { backend } : {}),
    ...(trainingThreads ? { trainingThreads } : {}),
  };
}
