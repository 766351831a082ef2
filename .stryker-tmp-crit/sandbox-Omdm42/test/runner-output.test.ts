// @ts-nocheck
// Guards the runner itself: on the Node CI uses, a failing test prints its message, its diff and a count.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitestBin = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const fixtureDir = fileURLToPath(new URL('./fixtures/failing-suite', import.meta.url));

describe('vitest on this Node', () => {
  it('reports a deliberate failure with its assertion message, diff and counts', () => {
    // process.execPath: the same Node that runs this suite, so CI's Node 20 is the one checked.
    const child = spawnSync(process.execPath, [vitestBin, 'run', '--root', fixtureDir], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
      timeout: 120_000,
    });
    const output = `${child.stdout}\n${child.stderr}`;
    expect(output).not.toMatch(/Map\.groupBy is not a function/);
    expect(child.status, output).toBe(1);
    // The assertion's own words, the custom message, and the diff with both sides.
    expect(output).toContain('energy of gpu0 after one epoch');
    expect(output).toMatch(
      /expected \{ device: 'gpu0', energyJ: 281 \} to deeply equal \{ device: 'gpu0', energyJ: 902 \}/,
    );
    expect(output).toMatch(/- Expected\s*\n\s*\+ Received/);
    expect(output).toMatch(/-\s+"energyJ": 902,/);
    expect(output).toMatch(/\+\s+"energyJ": 281,/);
    expect(output).toMatch(/Tests\s+1 failed \| 1 passed \(2\)/);
    expect(output).toMatch(/Test Files\s+1 failed \(1\)/);
  });
});
