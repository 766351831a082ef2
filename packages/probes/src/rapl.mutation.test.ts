// readRaplMicrojoules, the parser of sysfs `energy_uj` files, against real files in a temporary tree (the fake sysfs):
// accepted contents, the largest safe integer, and each refusal with its message and whether the zone is gone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProbeError, ProbePermissionError } from './errors.js';
import { readRaplMicrojoules } from './rapl.js';

const root = mkdtempSync(join(tmpdir(), 'eff-rapl-mut-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file holding `content`, as sysfs would show it. */
function file(name: string, content: string): string {
  const path = join(root, name);
  writeFileSync(path, content);
  return path;
}

const fix = 'use `--probe estimate` if this machine has no readable RAPL';

describe('readRaplMicrojoules (mutation tests)', () => {
  it('an unsigned decimal, whitespace around it allowed, up to 2^53 - 1', async () => {
    expect(await readRaplMicrojoules(file('a', '123456\n'))).toEqual({ uj: 123456 });
    expect(await readRaplMicrojoules(file('b', '  0  '))).toEqual({ uj: 0 });
    expect(await readRaplMicrojoules(file('c', '9007199254740991\n'))).toEqual({ uj: 9007199254740991 });
  });

  it('anything else is E_PROBE_READ quoting the content (not gone: the file is there)', async () => {
    // 1e5 and 0x10 are numbers to Number() (100000, 16) but not what sysfs prints
    for (const content of ['-5', '1.5', '', 'abc', '12 34', '1e5', '0x10', '9007199254740993']) {
      const path = file('bad', content);
      const read = await readRaplMicrojoules(path);
      expect(read).toEqual({ error: expect.any(ProbeError), gone: false });
      const { error } = read as { error: ProbeError };
      expect(error.code).toBe('E_PROBE_READ');
      expect(error.message).toBe(
        `RAPL counter ${path} holds ${JSON.stringify(content.trim())}; expected a non-negative integer of microjoules; ${fix}`,
      );
    }
  });

  it('a long content is quoted to its first 80 characters', async () => {
    const path = file('long', 'x'.repeat(100));
    const read = (await readRaplMicrojoules(path)) as { error: ProbeError };
    expect(read.error.message).toBe(
      `RAPL counter ${path} holds ${JSON.stringify('x'.repeat(80))}; expected a non-negative integer of microjoules; ${fix}`,
    );
  });

  it('a missing file or a path under a file is gone; a directory is unreadable but not gone', async () => {
    const missing = join(root, 'missing');
    const m = await readRaplMicrojoules(missing);
    expect(m).toMatchObject({ gone: true });
    const error = (m as { error: ProbeError }).error;
    expect(error.code).toBe('E_PROBE_READ');
    expect(error.message).toBe(
      `cannot read RAPL counter ${missing} (ENOENT); expected a file holding microjoules; ${fix}`,
    );
    expect(error.cause).toMatchObject({ code: 'ENOENT' });
    const under = join(file('plain', '1'), 'energy_uj');
    expect(await readRaplMicrojoules(under)).toMatchObject({ gone: true });
    const dir = await readRaplMicrojoules(root);
    expect(dir).toMatchObject({ gone: false });
    expect((dir as { error: ProbeError }).error.message).toContain('(EISDIR)');
  });

  // The tests run as root, who reads any file whose mode denies it; but the kernel refuses a read of a write-only
  // sysfs attribute (kernfs) or sysctl (proc_sys_permission) even to root, with the same EACCES a root-only
  // energy_uj gives a user. Opening one for reading has no effect.
  const refusesRead = ['/sys/bus/pci/rescan', '/proc/sys/vm/drop_caches', '/proc/sys/vm/compact_memory'].find(
    (f) => {
      try {
        readFileSync(f);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EACCES';
      }
    },
  );
  it.skipIf(refusesRead === undefined)(
    'a file the kernel will not let us read (EACCES) is a ProbePermissionError with the chmod fix, not gone',
    async () => {
      const file = refusesRead as string;
      const read = await readRaplMicrojoules(file);
      expect(read).toEqual({ error: expect.any(ProbePermissionError), gone: false });
      const { error } = read as { error: ProbeError };
      expect(error.code).toBe('E_PROBE_PERMISSION');
      expect(error.message).toBe(
        `cannot read ${file} (permission denied, root-only since CVE-2020-8694); run \`sudo chmod -R a+r /sys/class/powercap/intel-rapl*\` (or a sysfsutils rule), or use \`--probe estimate\``,
      );
      expect(error.cause).toMatchObject({ code: 'EACCES' });
    },
  );
});
