// The results store after a crash: a torn last line is moved aside before appending, and read around until then.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRuns } from '../report/load.js';
import { collectRunRecords, completedRunIds, repairResultsFile } from './store.js';

const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/report/small/results.jsonl',
);

describe('a results.jsonl cut mid-line by a crash', () => {
  it('is read around, then repaired by repairResultsFile, which names the side file', async () => {
    const [first, second] = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'eff-store-'));
    const file = join(dir, 'results.jsonl');
    writeFileSync(file, `${first}\n${second!.slice(0, 90)}`);

    // Before the repair: the complete run counts, the torn one does not, and nothing changes on disk.
    const runId = (JSON.parse(first!) as { runId: string }).runId;
    expect((await collectRunRecords(dir)).map((r) => r.runId)).toEqual([runId]);
    expect([...(await completedRunIds(dir))]).toEqual([runId]);
    const warnings: string[] = [];
    expect((await loadRuns(dir, (m) => warnings.push(m))).runs).toHaveLength(1);
    expect(warnings).toEqual([
      expect.stringMatching(/results\.jsonl:2: the last line was cut by a crash \(90 bytes/),
    ]);
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n${second!.slice(0, 90)}`);

    const said = await repairResultsFile(file);
    expect(said).toMatch(
      /^eff: results\.jsonl ended with line 2 cut by a crash \(90 bytes, not JSON\); moved it to /,
    );
    const sideFile = /moved it to (\S+)\./.exec(said ?? '')?.[1] ?? '';
    expect(readFileSync(sideFile, 'utf8')).toBe(second!.slice(0, 90));
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect(await repairResultsFile(file)).toBeNull();
    expect(await repairResultsFile(join(dir, 'absent.jsonl'))).toBeNull();
  });
});
