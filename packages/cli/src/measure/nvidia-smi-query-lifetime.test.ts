// A hung one-shot nvidia-smi query does not outlive an `eff measure` ended by SIGKILL (fake on PATH).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnEff } from '../../test/spawn-cli.js';

const BIN = fileURLToPath(new URL('../../test/fixtures/breaker-bin', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: number[] = [];
let dir = '';

afterEach(() => {
  // only the fake processes this test started, by pid
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('samplers die with their parent, one-shot queries too', () => {
  it('SIGKILL of eff measure while a one-shot nvidia-smi query hangs leaves no nvidia-smi behind', async () => {
    // check()'s one-shot queries (listing, first reading) must be started under the parent-death signal like the
    // -lms loop: a stuck driver makes them hang (eff's own 10 s timeout says so), and a SIGKILLed eff cannot run
    // that timeout, so a plain spawn would live on, reparented to init, ignoring SIGTERM and SIGPIPE
    dir = mkdtempSync(join(tmpdir(), 'eff-breaker-'));
    const eff = spawnEff(['measure', '--probe', 'nvidia-smi', '--', 'sleep', '30'], {
      PATH: `${BIN}:${process.env.PATH}`,
      FAKE_PID_DIR: dir,
      FAKE_IGNORE_TERM: '1',
    });
    // the fake answers the first-reading query (`--query-gpu=index,uuid,power.draw`, no -lms) by looping: hung
    const deadline = Date.now() + 40_000;
    const oneShot = () => readdirSync(dir).filter((f) => /^[0-9]+$/.test(f) && alive(Number(f)));
    while (Date.now() < deadline && oneShot().length === 0) await sleep(100);
    const pids = oneShot().map(Number);
    started.push(...pids);
    expect(pids.length).toBeGreaterThan(0);
    eff.kill('SIGKILL');
    await sleep(3000);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);
});
