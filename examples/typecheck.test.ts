// The examples and the type tests in examples/types compile as a user's project would (tsc, no emit): the docs'
// code stays right, and every `@ts-expect-error` there (misspelt probe options) still meets its error.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

function tsc(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('examples type-check', () => {
  it('tsc -p examples/tsconfig.json reports nothing (examples and typed-option tests)', async () => {
    const r = await tsc(['-p', TSCONFIG, '--pretty', 'false']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});
