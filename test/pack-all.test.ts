// pack:all ships what the sources build: outputs of deleted or renamed sources (tsc -b leaves them) are removed first.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the repository, without type declarations
import { removeStaleOutputs } from '../scripts/pack-all.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakePackage(src: string[], dist: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'eff-pack-all-'));
  dirs.push(dir);
  for (const [base, files] of [
    ['src', src],
    ['dist', dist],
  ] as const) {
    for (const f of files) {
      mkdirSync(join(dir, base, f, '..'), { recursive: true });
      writeFileSync(join(dir, base, f), '');
    }
  }
  return dir;
}

describe('removeStaleOutputs', () => {
  it('removes the .js, .d.ts and maps of sources that are gone, keeps the rest and non-build files', () => {
    const dir = fakePackage(
      ['index.ts', 'backend/use-backend.ts', 'simd/kernels.wasm.ts'],
      [
        'index.js',
        'index.d.ts',
        'index.js.map',
        'backend/use-backend.js',
        'backend/use-backend.d.ts.map',
        'simd/kernels.wasm.js',
        'old-name.js',
        'old-name.d.ts',
        'old-name.js.map',
        'old-name.d.ts.map',
        'backend/gone.js',
        '.tsbuildinfo',
      ],
    );
    const removed = (removeStaleOutputs(dir) as string[])
      .map((p) => p.slice(join(dir, 'dist').length + 1))
      .sort();
    expect(removed).toEqual([
      'backend/gone.js',
      'old-name.d.ts',
      'old-name.d.ts.map',
      'old-name.js',
      'old-name.js.map',
    ]);
    const left = (readdirSync(join(dir, 'dist'), { recursive: true }) as string[]).sort();
    expect(left).toEqual([
      '.tsbuildinfo',
      'backend',
      'backend/use-backend.d.ts.map',
      'backend/use-backend.js',
      'index.d.ts',
      'index.js',
      'index.js.map',
      'simd',
      'simd/kernels.wasm.js',
    ]);
  });
});
