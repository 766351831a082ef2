// @ts-nocheck
// Test helper: starts `eff` from its TypeScript sources in a child process (tsx), as a user would run it.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN_TS = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('./tsconfig.sources.json', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnEff(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, BIN_TS, ...args], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, CI: '1', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runEff(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Finished> {
  return finished(spawnEff(args, env, cwd));
}
