// @ts-nocheck
// Guards the set-up promise: CI runs exactly the test command the README gives newcomers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
const commands = [...readme.matchAll(/```sh\n(.+)\n```/g)].map((m) => m[1]!.trim());

describe('README set-up commands', () => {
  it('has exactly two, both through pnpm', () => {
    expect(commands).toHaveLength(2);
    for (const c of commands) expect(c).toMatch(/pnpm@9/);
  });
  it('CI calls the README test command verbatim', () => {
    const testCommand = commands.find((c) => c.endsWith(' test'));
    expect(testCommand).toBeDefined();
    expect(ci.split('\n').map((l) => l.trim())).toContain(testCommand);
  });
});
