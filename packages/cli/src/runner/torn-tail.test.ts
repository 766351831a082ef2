// A crash's torn line repairs itself: results.jsonl cut mid-line, then `eff run` moves the torn bytes aside and
// redoes that run, and `eff report` reads every complete line, warns, and leaves the file as it is.
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { loadRuns } from '../report/load.js';

// LeNet-1 under 2 criteria, 1 epoch on 200 real MNIST images: two short runs.
const TWO_RUNS = `
name: torn
datasets: [mnist]
architectures: [lenet]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 1 } }
  - { name: earlyStopping, params: { patience: 1 } }
maxEpochs: 1
batchSize: 50
mnist: { trainSize: 200, testSize: 100 }
intervalMs: 50
`;

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** Cuts the file `keepBytes` bytes into its last line, as a crash (power loss, SIGKILL mid-write) leaves it. */
function cutLastLine(file: string, keepBytes: number): Buffer {
  const whole = readFileSync(file);
  const lastStart = whole.subarray(0, whole.length - 1).lastIndexOf(0x0a) + 1;
  truncateSync(file, lastStart + keepBytes);
  return whole.subarray(lastStart, lastStart + keepBytes);
}

describe('a results.jsonl whose last line a crash cut', () => {
  it('is repaired by the next eff run and read by eff report', { timeout: 900_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-torn-'));
    const config = join(dir, 'torn.yaml');
    await writeFile(config, TWO_RUNS);
    const out = join(dir, 'results');
    const file = join(out, 'results.jsonl');
    const args = ['run', '--config', config, '--out', out];

    const first = await runEff(args);
    expect(first.code, first.stderr).toBe(0);
    const [firstRun, secondRun] = lines(file);
    expect(secondRun).toBeDefined();
    const cut = cutLastLine(file, 100);

    // eff run: the torn bytes go to a side file it names, the complete run is kept, the cut one is redone.
    const second = await runEff(args);
    expect(second.code, second.stderr).toBe(0);
    const said =
      /results\.jsonl ended with line 2 cut by a crash \(100 bytes, not JSON\); moved it to (\S+)\./.exec(
        second.stderr,
      );
    expect(said, second.stderr).not.toBeNull();
    const sideFile = said![1]!;
    expect(sideFile.startsWith(`${file}.torn-`)).toBe(true);
    expect(readFileSync(sideFile).equals(cut)).toBe(true);
    expect(second.stderr).toMatch(/2 runs, 1 already in/);
    const after = lines(file);
    expect(after).toHaveLength(2);
    expect(after[0]).toBe(firstRun);
    const redone = JSON.parse(after[1]!) as { runId: string; status: string };
    expect(redone.runId).toBe((JSON.parse(secondRun!) as { runId: string }).runId);
    expect(redone.status).toBe('completed');

    // eff report: every complete line, a warning naming file and line, and the file left as it is.
    cutLastLine(file, 60);
    const before = readFileSync(file);
    const report = await runEff(['report', out]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toMatch(
      /results\.jsonl:2: the last line was cut by a crash \(60 bytes, not JSON\)/,
    );
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(join(out, 'report', 'index.html'))).toBe(true);
    const warnings: string[] = [];
    const { runs } = await loadRuns(out, (m) => warnings.push(m));
    expect(runs.map((r) => r.run.runId)).toEqual([JSON.parse(firstRun!).runId]);
    expect(warnings).toHaveLength(1);
  });
});
