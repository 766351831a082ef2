// readHwmonInteger, the parser of hwmon's sysfs attributes, over a fake sysfs tree and real kernel files that refuse a
// read: accepted contents, each refusal's exact problem, and whether the sensor is gone.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHwmonInteger } from './hwmon.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'eff-hwmon-mut-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function attribute(name: string, content: string): Promise<string> {
  const file = join(root, name);
  await writeFile(file, content);
  return file;
}

/** The first of `files` whose read the kernel refuses with `code` (read only: opening these has no effect). */
function refusing(code: string, files: string[]): string | undefined {
  return files.find((f) => {
    try {
      readFileSync(f);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === code;
    }
  });
}
const nets = (attr: string): string[] => {
  try {
    return readdirSync('/sys/class/net').map((n) => `/sys/class/net/${n}/${attr}`);
  } catch {
    return [];
  }
};
// A write-only sysfs attribute: the kernel refuses even root a read (EACCES), as a root-only sensor refuses a user.
const eacces = refusing('EACCES', ['/sys/bus/pci/rescan', '/proc/sys/vm/drop_caches']);
// A network interface's speed or port name the driver cannot give now (EINVAL; EOPNOTSUPP, which Node calls ENOTSUP).
const einval = refusing('EINVAL', nets('speed'));
const enotsup = refusing('ENOTSUP', nets('phys_port_name'));

describe('readHwmonInteger (mutation tests)', () => {
  it('an unsigned decimal with whitespace around it, up to 2^53 - 1', async () => {
    expect(await readHwmonInteger(await attribute('a', '152000000\n'))).toStrictEqual({ value: 152000000 });
    expect(await readHwmonInteger(await attribute('b', ' 0 '))).toStrictEqual({ value: 0 });
    expect(await readHwmonInteger(await attribute('c', '9007199254740991'))).toStrictEqual({
      value: 9007199254740991,
    });
  });

  it.each(['-5', '1.5', '', 'abc', '12 34', '1e5', 'x12', '12x', '9007199254740993'])(
    'content %j is a problem quoting it, not gone',
    async (content) => {
      const file = await attribute('bad', content);
      expect(await readHwmonInteger(file)).toStrictEqual({
        problem: `${file} holds ${JSON.stringify(content)}, not an unsigned integer`,
        gone: false,
      });
    },
  );

  it('a long content is quoted to its first 60 characters', async () => {
    const file = await attribute('long', 'z'.repeat(100));
    expect(await readHwmonInteger(file)).toStrictEqual({
      problem: `${file} holds ${JSON.stringify('z'.repeat(60))}, not an unsigned integer`,
      gone: false,
    });
  });

  it('a missing attribute is gone; one under a file, or a directory, is unreadable but not gone', async () => {
    const missing = join(root, 'missing');
    expect(await readHwmonInteger(missing)).toStrictEqual({
      problem: `cannot read ${missing}: ENOENT`,
      gone: true,
    });
    const under = join(await attribute('plain', '1'), 'power1_input');
    expect(await readHwmonInteger(under)).toStrictEqual({
      problem: `cannot read ${under}: ENOTDIR`,
      gone: false,
    });
    const dir = join(root, 'dir');
    await mkdir(dir);
    expect(await readHwmonInteger(dir)).toStrictEqual({ problem: `cannot read ${dir}: EISDIR`, gone: false });
  });

  it.skipIf(eacces === undefined)(
    'a read the kernel refuses (EACCES) says permission denied and what to do',
    async () => {
      const file = eacces as string;
      expect(await readHwmonInteger(file)).toStrictEqual({
        problem: `cannot read ${file}: permission denied (the driver made it root-only): run eff as root or use another probe`,
        gone: false,
      });
    },
  );

  it.skipIf(einval === undefined)('EINVAL from the driver is "no value now", not gone', async () => {
    const file = einval as string;
    expect(await readHwmonInteger(file)).toStrictEqual({
      problem: `cannot read ${file}: the driver has no value now (EINVAL; a GPU in a low-power state or a sensor this chip lacks)`,
      gone: false,
    });
  });

  it.skipIf(enotsup === undefined)(
    'EOPNOTSUPP from the driver (ENOTSUP to Node) is "no value now"',
    async () => {
      const file = enotsup as string;
      expect(await readHwmonInteger(file)).toStrictEqual({
        problem: `cannot read ${file}: the driver has no value now (ENOTSUP; a GPU in a low-power state or a sensor this chip lacks)`,
        gone: false,
      });
    },
  );
});
