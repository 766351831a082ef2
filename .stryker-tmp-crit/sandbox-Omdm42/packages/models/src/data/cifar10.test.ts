// @ts-nocheck
// Tests of the CIFAR-10 loader on small batch files generated in the exact binary format, and of the download
// from a local HTTP server on 127.0.0.1 serving a generated archive.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_BATCH_FILES,
  defaultCifar10CacheDir,
  downloadCifar10,
  loadCifar10Dataset,
} from './cifar10.js';
import {
  DatasetDownloadError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetOptionsError,
} from './errors.js';

const RECORD = 3073;
/** Records per batch file (10,000 in the official files); labels differ per image, so order shows. */
const RECORDS_PER_BATCH = [3, 3, 3, 3, 3, 3];
const TOTAL = RECORDS_PER_BATCH.reduce((a, b) => a + b, 0);
const NAMES = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Pixel byte of image `image`, channel `c` (0 R, 1 G, 2 B), position `p` in its 32×32 plane. */
const pixelByte = (image: number, c: number, p: number) => (image * 37 + c * 101 + p * 7) % 256;
const labelOf = (image: number) => (image * 3) % 10;

/** Batch files in the binary format: per record a label byte, then the R, G and B planes. */
async function writeBatches(dir: string, opts: { meta?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  let image = 0;
  for (const [b, records] of RECORDS_PER_BATCH.entries()) {
    const bytes = new Uint8Array(records * RECORD);
    for (let r = 0; r < records; r++, image++) {
      bytes[r * RECORD] = labelOf(image);
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) bytes[r * RECORD + 1 + c * 1024 + p] = pixelByte(image, c, p);
      }
    }
    await writeFile(join(dir, CIFAR10_BATCH_FILES[b]!), bytes);
  }
  // The official file ends with blank lines, which must not become class names.
  if (opts.meta !== false) await writeFile(join(dir, 'batches.meta.txt'), `${NAMES.join('\n')}\n\n`);
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'eff-cifar-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  return dir;
}

describe('loadCifar10Dataset from a directory', () => {
  it('reads the six batches in order, planar RGB to NHWC in [0, 1], names from batches.meta.txt', async () => {
    const dir = await freshDir('ok');
    await writeBatches(dir);
    const ds = await loadCifar10Dataset({ dir });
    expect(ds.count).toBe(TOTAL);
    expect(ds.imageShape).toEqual([32, 32, 3]);
    expect(ds.classes).toBe(10);
    expect(ds.classNames).toEqual(NAMES);
    expect([...ds.labels]).toEqual(Array.from({ length: TOTAL }, (_, i) => labelOf(i)));
    expect(ds.images.length).toBe(TOTAL * 3072);
    for (const [image, p] of [
      [0, 0],
      [4, 33],
      [7, 1023],
      [TOTAL - 1, 500],
    ] as const) {
      for (let c = 0; c < 3; c++) {
        expect(ds.images[(image * 1024 + p) * 3 + c]).toBeCloseTo(pixelByte(image, c, p) / 255, 6);
      }
    }
  });

  it('falls back to the official class names without batches.meta.txt', async () => {
    const dir = await freshDir('nometa');
    await writeBatches(dir, { meta: false });
    const ds = await loadCifar10Dataset({ dir });
    expect(ds.classNames?.[0]).toBe('airplane');
    expect(ds.classNames?.[9]).toBe('truck');
  });

  it('names file and offset of a truncated record', async () => {
    const dir = await freshDir('truncated');
    await writeBatches(dir);
    const file = join(dir, 'data_batch_3.bin');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, RECORD + 100));
    const err = await loadCifar10Dataset({ dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFormatError);
    const formatErr = err as DatasetFormatError;
    expect(formatErr.code).toBe('E_DATASET_FORMAT');
    expect(formatErr.file).toBe(file);
    expect(formatErr.offsetBytes).toBe(RECORD);
    expect(formatErr.message).toContain(`${file}: at byte offset 3073 expected a whole 3073-byte record`);
    expect(formatErr.message).toContain('only 100 bytes');
  });

  it('reports a batch cut exactly at a record boundary, as shorter than the others', async () => {
    const dir = await freshDir('short-batch');
    await writeBatches(dir);
    const file = join(dir, 'data_batch_5.bin');
    await writeFile(file, (await readFile(file)).subarray(0, 2 * RECORD));
    const err = (await loadCifar10Dataset({ dir }).catch((e: unknown) => e)) as DatasetFormatError;
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect(err.file).toBe(file);
    expect(err.offsetBytes).toBe(2 * RECORD);
    expect(err.expected).toBe('3 records (9219 bytes) like the other batch files');
    expect(err.found).toBe('end of file after 2 records');
  });

  it('names file and offset of a label byte out of range', async () => {
    const dir = await freshDir('badlabel');
    await writeBatches(dir);
    const file = join(dir, 'test_batch.bin');
    const bytes = await readFile(file);
    bytes[2 * RECORD] = 10;
    await writeFile(file, bytes);
    const err = (await loadCifar10Dataset({ dir }).catch((e: unknown) => e)) as DatasetFormatError;
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect(err.file).toBe(file);
    expect(err.offsetBytes).toBe(2 * RECORD);
    expect(err.found).toBe('10');
  });

  it('rejects a meta file without ten names', async () => {
    const dir = await freshDir('badmeta');
    await writeBatches(dir);
    await writeFile(join(dir, 'batches.meta.txt'), 'cat\ndog\n');
    await expect(loadCifar10Dataset({ dir })).rejects.toThrow(
      /expected 10 class names, one per line, found 2 names/,
    );
  });

  it('names the directory, the missing files and how to get them', async () => {
    const dir = await freshDir('partial');
    await writeBatches(dir);
    await rm(join(dir, 'data_batch_2.bin'));
    await rm(join(dir, 'test_batch.bin'));
    const err = (await loadCifar10Dataset({ dir }).catch((e: unknown) => e)) as DatasetMissingError;
    expect(err).toBeInstanceOf(DatasetMissingError);
    expect(err.code).toBe('E_DATASET_MISSING');
    expect(err.missingFiles).toEqual(['data_batch_2.bin', 'test_batch.bin']);
    expect(err.message).toContain(`${dir} lacks data_batch_2.bin, test_batch.bin`);
    expect(err.message).toContain('download: true');
    expect(err.message).toContain('tar xzf cifar-10-binary.tar.gz');
  });

  it('refuses dir together with download', async () => {
    await expect(loadCifar10Dataset({ dir: root, download: true })).rejects.toBeInstanceOf(
      DatasetOptionsError,
    );
  });
});

describe('defaultCifar10CacheDir', () => {
  it('prefers EFF_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache/eff', () => {
    expect(defaultCifar10CacheDir({ EFF_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c/cifar-10');
    expect(defaultCifar10CacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/eff/cifar-10');
    expect(defaultCifar10CacheDir({})).toMatch(/\/\.cache\/eff\/cifar-10$/);
  });
});

describe('loadCifar10Dataset download (local HTTP server on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  let archive: Buffer;
  const requests: string[] = [];
  const routes = new Map<string, (res: import('node:http').ServerResponse) => void>();

  beforeAll(async () => {
    const src = await freshDir('archive-src');
    await writeBatches(join(src, 'cifar-10-batches-bin'));
    const file = join(src, 'cifar-10-binary.tar.gz');
    await tar.c({ gzip: true, file, cwd: src }, ['cifar-10-batches-bin']);
    archive = await readFile(file);
    const partial = join(src, 'partial.tar.gz');
    await tar.c({ gzip: true, file: partial, cwd: src }, ['cifar-10-batches-bin/data_batch_1.bin']);
    const partialArchive = await readFile(partial);
    routes.set('/cifar-10-binary.tar.gz', (res) => res.end(archive));
    routes.set('/garbage.tar.gz', (res) => res.end('<html>captive portal</html>'));
    routes.set('/partial.tar.gz', (res) => res.end(partialArchive));
    routes.set('/cut.tar.gz', (res) => {
      res.writeHead(200, { 'content-length': String(archive.length) });
      res.write(archive.subarray(0, 1000), () => res.destroy());
    });
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const route = routes.get(req.url ?? '');
      if (route) route(res);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    requests.length = 0;
  });

  it('downloads, unpacks atomically into the cache, and reuses the cache afterwards', async () => {
    const cacheDir = await freshDir('cache-ok');
    const md5 = createHash('md5').update(archive).digest('hex');
    const progress: number[] = [];
    const ds = await loadCifar10Dataset({
      download: true,
      cacheDir,
      url: `${base}/cifar-10-binary.tar.gz`,
      md5,
      onProgress: (received, total) => {
        expect(total).toBe(archive.length);
        progress.push(received);
      },
    });
    expect(ds.count).toBe(TOTAL);
    expect([...ds.labels]).toEqual(Array.from({ length: TOTAL }, (_, i) => labelOf(i)));
    expect(ds.classNames).toEqual(NAMES);
    expect(progress.at(-1)).toBe(archive.length);
    // Only the unpacked folder stays; the temporary download directory is gone.
    expect(await readdir(cacheDir)).toEqual(['cifar-10-batches-bin']);
    expect(requests).toEqual(['/cifar-10-binary.tar.gz']);
    const again = await loadCifar10Dataset({
      download: true,
      cacheDir,
      url: `${base}/cifar-10-binary.tar.gz`,
    });
    expect(again.count).toBe(TOTAL);
    expect(requests).toHaveLength(1);
  });

  it('replaces an incomplete cached copy, and keeps a complete one another process just finished', async () => {
    const cacheDir = await freshDir('cache-replace');
    const target = join(cacheDir, 'cifar-10-batches-bin');
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'data_batch_1.bin'), 'left over');
    const ds = await loadCifar10Dataset({ download: true, cacheDir, url: `${base}/cifar-10-binary.tar.gz` });
    expect(ds.count).toBe(TOTAL);
    expect(await readdir(cacheDir)).toEqual(['cifar-10-batches-bin']);

    await writeFile(join(target, 'marker'), 'kept');
    expect(await downloadCifar10({ cacheDir, url: `${base}/cifar-10-binary.tar.gz` })).toBe(target);
    expect(await readFile(join(target, 'marker'), 'utf8')).toBe('kept');
    expect(await readdir(cacheDir)).toEqual(['cifar-10-batches-bin']);
  });

  it('uses EFF_CACHE_DIR when no cacheDir is given', async () => {
    const effCache = await freshDir('eff-cache');
    const saved = process.env.EFF_CACHE_DIR;
    process.env.EFF_CACHE_DIR = effCache;
    try {
      const ds = await loadCifar10Dataset({ download: true, url: `${base}/cifar-10-binary.tar.gz` });
      expect(ds.count).toBe(TOTAL);
      expect(await readdir(join(effCache, 'cifar-10'))).toEqual(['cifar-10-batches-bin']);
    } finally {
      if (saved === undefined) delete process.env.EFF_CACHE_DIR;
      else process.env.EFF_CACHE_DIR = saved;
    }
  });

  async function downloadError(name: string, url: string, md5?: string): Promise<DatasetDownloadError> {
    const cacheDir = await freshDir(name);
    const err = await loadCifar10Dataset({ download: true, cacheDir, url, md5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetDownloadError);
    expect((err as DatasetDownloadError).code).toBe('E_DATASET_DOWNLOAD');
    expect((err as DatasetDownloadError).url).toBe(url);
    // A failed download leaves no partial cache behind.
    expect(await readdir(cacheDir)).toEqual([]);
    return err as DatasetDownloadError;
  }

  it('says the machine may be offline when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await downloadError('cache-offline', `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('offline');
  });

  it('reports an HTTP error status', async () => {
    const err = await downloadError('cache-404', `${base}/nope.tar.gz`);
    expect(err.message).toContain('HTTP 404');
  });

  it('rejects an archive whose MD5 differs', async () => {
    const err = await downloadError('cache-md5', `${base}/cifar-10-binary.tar.gz`, '0'.repeat(32));
    expect(err.message).toContain(
      `has MD5 ${createHash('md5').update(archive).digest('hex')}, expected ${'0'.repeat(32)}`,
    );
  });

  it('rejects a response that is not a tar.gz', async () => {
    const err = await downloadError('cache-garbage', `${base}/garbage.tar.gz`);
    expect(err.message).toContain('is not a readable .tar.gz archive');
  });

  it('rejects an archive without all batch files', async () => {
    const err = await downloadError('cache-partial', `${base}/partial.tar.gz`);
    expect(err.message).toContain('lacks cifar-10-batches-bin/data_batch_2.bin');
  });

  it('reports a download that breaks off', async () => {
    const err = await downloadError('cache-cut', `${base}/cut.tar.gz`);
    expect(err.message).toMatch(/broke off after \d+ of \d+ bytes|ended after \d+ of \d+ bytes/);
  });
});
