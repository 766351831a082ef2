// @ts-nocheck
// CIFAR-10 from its standard binary files (3073-byte records), with a download of the official archive into a cache.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import * as tar from 'tar';
import type { Dataset } from '../types.js';
import {
  DatasetDownloadError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetOptionsError,
} from './errors.js';

/** The official binary archive (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009). */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** MD5 of the official archive as published on https://www.cs.toronto.edu/~kriz/cifar.html (170,052,171 bytes). */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
/** Directory the archive unpacks to. */
export const CIFAR10_ARCHIVE_DIR = 'cifar-10-batches-bin';
/** The batch files in the order their images are concatenated: 50,000 training images, then 10,000 test images. */
export const CIFAR10_BATCH_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
  'test_batch.bin',
] as const;
const META_FILE = 'batches.meta.txt';
const CLASSES = 10;
const SIDE = 32;
const PLANE_BYTES = SIDE * SIDE;
/** One record: a label byte, then the red, green and blue 32×32 planes, each row-major. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * PLANE_BYTES;
/** Class names used when `batches.meta.txt` is absent (the order of the official file). */
const DEFAULT_CLASS_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Options of `loadCifar10Dataset`. */
export interface LoadCifar10Args {
  /**
   * Directory holding `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin` (and optionally
   * `batches.meta.txt`). When given, nothing is downloaded. Default: `<cacheDir>/cifar-10-batches-bin`.
   */
  dir?: string;
  /** Download and unpack the archive into `cacheDir` when the files are not there yet. Default false. */
  download?: boolean;
  /**
   * Where downloads go. Default `$EFF_CACHE_DIR/cifar-10`, else `$XDG_CACHE_HOME/eff/cifar-10`,
   * else `~/.cache/eff/cifar-10`.
   */
  cacheDir?: string;
  /** Archive to download (a `.tar.gz` holding `cifar-10-batches-bin/`). Default: the official `CIFAR10_URL`. */
  url?: string;
  /**
   * Expected MD5 of the archive; `null` skips the check. Default: `CIFAR10_MD5` for the official URL,
   * no check for any other URL.
   */
  md5?: string | null;
  /** Called as bytes arrive; `totalBytes` is undefined when the server sends no length. */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

/** The default download cache for CIFAR-10 (see `LoadCifar10Args.cacheDir`). */
export function defaultCifar10CacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EFF_CACHE_DIR) return join(env.EFF_CACHE_DIR, 'cifar-10');
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'eff', 'cifar-10');
  return join(homedir(), '.cache', 'eff', 'cifar-10');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function missingBatchFiles(dir: string): Promise<string[]> {
  const present = await Promise.all(CIFAR10_BATCH_FILES.map((f) => exists(join(dir, f))));
  return CIFAR10_BATCH_FILES.filter((_, i) => !present[i]);
}

function howToGet(cacheDir: string, url: string): string {
  return (
    `Call loadCifar10Dataset({ download: true }) to fetch ${url} into ${cacheDir}, or download ` +
    `cifar-10-binary.tar.gz yourself and run: tar xzf cifar-10-binary.tar.gz -C ${cacheDir} ` +
    `(or pass dir: the folder holding the .bin files).`
  );
}

/**
 * Loads all 60,000 CIFAR-10 images (`data_batch_1..5.bin`, then `test_batch.bin`: indices 0–49,999 are the
 * standard training set, 50,000–59,999 the test set) as a Dataset, NHWC 32×32×3 in [0, 1].
 * Class names come from `batches.meta.txt` when present. Every batch file must hold the same number of
 * records (10,000 in the official files), so a truncated file is reported even when cut at a record boundary.
 */
export async function loadCifar10Dataset(args: LoadCifar10Args = {}): Promise<Dataset> {
  const cacheDir = args.cacheDir ?? defaultCifar10CacheDir();
  const url = args.url ?? CIFAR10_URL;
  if (args.dir !== undefined && args.download) {
    throw new DatasetOptionsError(
      `loadCifar10Dataset: dir (${args.dir}) and download: true exclude each other; downloads go to cacheDir ` +
        `(${cacheDir}). Pass one or the other.`,
    );
  }
  const dir = args.dir ?? join(cacheDir, CIFAR10_ARCHIVE_DIR);
  let missing = await missingBatchFiles(dir);
  if (missing.length > 0 && args.download) {
    await downloadCifar10({ cacheDir, url, md5: args.md5, onProgress: args.onProgress });
    missing = await missingBatchFiles(dir);
  }
  if (missing.length > 0) throw new DatasetMissingError(dir, missing, howToGet(cacheDir, url));
  return readCifar10Dir(dir);
}

async function readCifar10Dir(dir: string): Promise<Dataset> {
  const paths = CIFAR10_BATCH_FILES.map((f) => join(dir, f));
  const [batches, classNames] = await Promise.all([
    Promise.all(paths.map((p) => readFile(p))),
    readClassNames(join(dir, META_FILE)),
  ]);
  batches.forEach((bytes, i) => {
    checkBatch(bytes, paths[i]!);
  });
  // All official batches hold 10,000 records; a file cut exactly at a record boundary shows only as a shorter batch.
  const largestBytes = Math.max(...batches.map((b) => b.length));
  batches.forEach((bytes, i) => {
    if (bytes.length < largestBytes) {
      throw new DatasetFormatError(
        paths[i]!,
        bytes.length,
        `${largestBytes / CIFAR10_RECORD_BYTES} records (${largestBytes} bytes) like the other batch files`,
        `end of file after ${bytes.length / CIFAR10_RECORD_BYTES} records`,
      );
    }
  });
  const count = batches.reduce((n, b) => n + b.length / CIFAR10_RECORD_BYTES, 0);
  const pixelsPerImage = 3 * PLANE_BYTES;
  const images = new Float32Array(count * pixelsPerImage);
  const labels = new Uint8Array(count);
  let image = 0;
  for (const bytes of batches) {
    for (let record = 0; record < bytes.length; record += CIFAR10_RECORD_BYTES, image++) {
      labels[image] = bytes[record]!;
      const out = image * pixelsPerImage;
      // Planar RGB on disk, interleaved (NHWC) in memory.
      for (let p = 0; p < PLANE_BYTES; p++) {
        const o = out + 3 * p;
        const i = record + 1 + p;
        images[o] = bytes[i]! / 255;
        images[o + 1] = bytes[i + PLANE_BYTES]! / 255;
        images[o + 2] = bytes[i + 2 * PLANE_BYTES]! / 255;
      }
    }
  }
  return {
    name: 'cifar-10',
    images,
    labels,
    count,
    imageShape: [SIDE, SIDE, 3],
    classes: CLASSES,
    classNames,
  };
}

function checkBatch(bytes: Uint8Array, path: string): void {
  if (bytes.length === 0) {
    throw new DatasetFormatError(
      path,
      0,
      `at least one ${CIFAR10_RECORD_BYTES}-byte record`,
      'an empty file',
    );
  }
  const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES) * CIFAR10_RECORD_BYTES;
  if (whole !== bytes.length) {
    throw new DatasetFormatError(
      path,
      whole,
      `a whole ${CIFAR10_RECORD_BYTES}-byte record (1 label byte + 3 × 1024 pixel bytes) after ` +
        `${whole / CIFAR10_RECORD_BYTES} complete records`,
      `only ${bytes.length - whole} bytes before the end of the file`,
    );
  }
  for (let offset = 0; offset < bytes.length; offset += CIFAR10_RECORD_BYTES) {
    if (bytes[offset]! >= CLASSES) {
      throw new DatasetFormatError(
        path,
        offset,
        `a label byte 0..${CLASSES - 1} starting record ${offset / CIFAR10_RECORD_BYTES}`,
        `${bytes[offset]}`,
      );
    }
  }
}

async function readClassNames(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [...DEFAULT_CLASS_NAMES];
    throw err;
  }
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== CLASSES) {
    throw new DatasetFormatError(path, 0, `${CLASSES} class names, one per line`, `${names.length} names`);
  }
  return names;
}

/** Options of `downloadCifar10`. */
export interface DownloadCifar10Args {
  cacheDir: string;
  url?: string;
  md5?: string | null;
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

/**
 * Downloads the archive and unpacks it to `<cacheDir>/cifar-10-batches-bin`. Everything happens in a temporary
 * directory inside `cacheDir` that is renamed into place only once all batch files are there, so an interrupted
 * download never leaves a half-filled cache. Returns the directory of the batch files.
 */
export async function downloadCifar10(args: DownloadCifar10Args): Promise<string> {
  const url = args.url ?? CIFAR10_URL;
  const md5 = args.md5 === undefined ? (url === CIFAR10_URL ? CIFAR10_MD5 : null) : args.md5;
  const target = join(args.cacheDir, CIFAR10_ARCHIVE_DIR);
  await mkdir(args.cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(args.cacheDir, '.download-'));
  try {
    const archive = join(tmp, 'cifar-10-binary.tar.gz');
    await fetchToFile(url, archive, md5, args.onProgress, args.cacheDir);
    const unpacked = join(tmp, 'unpacked');
    await mkdir(unpacked);
    try {
      await tar.x({ file: archive, cwd: unpacked, strict: true });
    } catch (err) {
      throw new DatasetDownloadError(
        url,
        `${url} is not a readable .tar.gz archive (${(err as Error).message}); expected cifar-10-binary.tar.gz.`,
        { cause: err },
      );
    }
    const extracted = join(unpacked, CIFAR10_ARCHIVE_DIR);
    const missing = await missingBatchFiles(extracted);
    if (missing.length > 0) {
      throw new DatasetDownloadError(
        url,
        `The archive from ${url} lacks ${CIFAR10_ARCHIVE_DIR}/${missing.join(`, ${CIFAR10_ARCHIVE_DIR}/`)}; ` +
          'expected the CIFAR-10 binary version (cifar-10-binary.tar.gz).',
      );
    }
    if (await exists(target)) {
      // Another process may have finished the same download meanwhile: keep its complete copy.
      if ((await missingBatchFiles(target)).length === 0) return target;
      // An incomplete earlier copy (files deleted by hand) is moved aside, so the rename below stays atomic.
      await rename(target, join(tmp, 'previous'));
    }
    await rename(extracted, target);
    return target;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function fetchToFile(
  url: string,
  path: string,
  md5: string | null,
  onProgress: DownloadCifar10Args['onProgress'],
  cacheDir: string,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new DatasetDownloadError(
      url,
      `Cannot download ${url}: ${why}. Is this machine offline? Download cifar-10-binary.tar.gz on a machine ` +
        `with internet, copy it here and run: tar xzf cifar-10-binary.tar.gz -C ${cacheDir} (or pass dir).`,
      { cause: err },
    );
  }
  if (!response.ok || response.body === null) {
    throw new DatasetDownloadError(
      url,
      `Cannot download ${url}: HTTP ${response.status} ${response.statusText}; expected 200 with the archive.`,
    );
  }
  const lengthHeader = response.headers.get('content-length');
  const totalBytes = lengthHeader === null ? undefined : Number(lengthHeader);
  const hash = createHash('md5');
  let receivedBytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          receivedBytes += chunk.length;
          onProgress?.(receivedBytes, totalBytes);
          yield chunk;
        }
      },
      createWriteStream(path),
    );
  } catch (err) {
    throw new DatasetDownloadError(
      url,
      `Download of ${url} broke off after ${receivedBytes} of ${totalBytes ?? 'unknown'} bytes ` +
        `(${(err as Error).message}); try again.`,
      { cause: err },
    );
  }
  if (totalBytes !== undefined && receivedBytes !== totalBytes) {
    throw new DatasetDownloadError(
      url,
      `Download of ${url} ended after ${receivedBytes} of ${totalBytes} bytes; try again.`,
    );
  }
  const found = hash.digest('hex');
  if (md5 !== null && found !== md5.toLowerCase()) {
    throw new DatasetDownloadError(
      url,
      `The archive from ${url} has MD5 ${found}, expected ${md5} (${receivedBytes} bytes received); ` +
        'the download is corrupt or not the CIFAR-10 binary version. Try again, or pass md5: null for a mirror.',
    );
  }
}
