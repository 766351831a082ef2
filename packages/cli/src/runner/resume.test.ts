// Must show (issue 6): a grid killed with SIGKILL mid-run and restarted completes with every run exactly once.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, runEff, spawnEff } from '../../test/spawn-cli.js';

// 2 architectures × 2 criteria of LeNet/BCNN width 1 on 300 real MNIST images, at most 2 epochs.
const TINY_GRID = `
name: tiny
datasets: [mnist]
architectures: [lenet, bcnn]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 2 } }
  - { name: earlyStopping, params: { patience: 1 } }
maxEpochs: 2
batchSize: 50
mnist: { trainSize: 300, testSize: 100 }
intervalMs: 50
`;

function recordsOf(text: string): { runId: string; status: string }[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { runId: string; status: string });
}

describe('eff run resumes after SIGKILL', () => {
  it('completes every run exactly once', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-resume-'));
    const config = join(dir, 'tiny.yaml');
    await writeFile(config, TINY_GRID);
    const out = join(dir, 'results');
    const args = ['run', '--config', config, '--out', out];

    // First attempt: kill -9 as soon as the second run has started training (first run is on disk).
    const first = spawnEff(args);
    const killed = new Promise<string>((resolve) => {
      let log = '';
      first.stderr?.on('data', (d: Buffer) => {
        log += d.toString();
        if (/run 2\/4 start/.test(log) && /epoch 1\/2/.test(log.slice(log.indexOf('run 2/4 start')))) {
          first.kill('SIGKILL');
          resolve(log);
        }
      });
    });
    const firstDone = finished(first);
    // If eff ends on its own (an error before run 2), fail at once with its output instead of timing out.
    await Promise.race([killed, firstDone]);
    const firstEnd = await firstDone;
    expect(firstEnd.signal, firstEnd.stderr).toBe('SIGKILL');
    const afterKill = recordsOf(await readFile(join(out, 'results.jsonl'), 'utf8'));
    expect(afterKill).toHaveLength(1);

    // Restart: the finished run is skipped, the interrupted one is redone, the rest run.
    const second = await runEff(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/4 runs, 1 already in/);
    // Each process warms up (untimed, on the first run it will train: 240 training images here) before its first
    // timed run starts.
    expect(second.stderr).toMatch(/warm-up done: (LeNet|BCNN)-1 on 240 mnist examples, 1 epoch, untimed/);
    expect(second.stderr.indexOf('warm-up done')).toBeLessThan(second.stderr.search(/run \d\/4 start/));
    const all = recordsOf(await readFile(join(out, 'results.jsonl'), 'utf8'));
    expect(all).toHaveLength(4);
    expect(new Set(all.map((r) => r.runId)).size).toBe(4);
    expect(all.every((r) => r.status === 'completed')).toBe(true);
    expect(all[0]!.runId).toBe(afterKill[0]!.runId);

    // A third start has nothing left to do and writes nothing.
    const third = await runEff(args);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/4 runs, 4 already in/);
    expect(third.stderr).not.toContain('warm-up'); // nothing to train, nothing to warm up
    expect(recordsOf(await readFile(join(out, 'results.jsonl'), 'utf8'))).toHaveLength(4);
  });
});
