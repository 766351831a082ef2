// @ts-nocheck
// Tests of the IDX parser on hand-built files in the exact MNIST layout, plain, gzipped, truncated and corrupt.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError } from './errors.js';
import { parseIdx } from './idx.js';

/** An IDX file of unsigned bytes: magic 0x0000 08 <ndims>, big-endian sizes, data. */
function idxBytes(dims: number[], data: ArrayLike<number>): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(Array.from(data), header.length);
  return out;
}

function formatError(fn: () => unknown): DatasetFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetFormatError);
    return err as DatasetFormatError;
  }
  throw new Error('expected a DatasetFormatError, nothing was thrown');
}

describe('parseIdx', () => {
  it('reads a labels file (magic 2049)', () => {
    const file = parseIdx(idxBytes([5], [5, 0, 4, 1, 9]), 'labels');
    expect(file.magic).toBe(2049);
    expect(file.kind).toBe('labels');
    expect(file.dims).toEqual([5]);
    expect(file.dataOffsetBytes).toBe(8);
    expect([...file.data]).toEqual([5, 0, 4, 1, 9]);
  });

  it('reads an images file (magic 2051) with big-endian sizes', () => {
    const pixels = Array.from({ length: 2 * 3 * 300 }, (_, i) => i % 256);
    const file = parseIdx(idxBytes([2, 3, 300], pixels), 'images');
    expect(file.magic).toBe(2051);
    expect(file.kind).toBe('images');
    // 300 = 0x012c needs both low bytes, so a little-endian reading would give 738263040.
    expect(file.dims).toEqual([2, 3, 300]);
    expect(file.dataOffsetBytes).toBe(16);
    expect([...file.data]).toEqual(pixels);
  });

  it('decompresses gzipped input, by content and by name', () => {
    const plain = idxBytes([3], [7, 2, 1]);
    expect([...parseIdx(gzipSync(plain), 't10k-labels-idx1-ubyte.gz').data]).toEqual([7, 2, 1]);
    expect([...parseIdx(gzipSync(plain), 'no-suffix').data]).toEqual([7, 2, 1]);
  });

  it('names file and offset for a truncated images file', () => {
    const whole = idxBytes([3, 2, 2], new Array(12).fill(1));
    const err = formatError(() => parseIdx(whole.subarray(0, 16 + 9), 'train-images-idx3-ubyte'));
    expect(err.code).toBe('E_DATASET_FORMAT');
    expect(err.file).toBe('train-images-idx3-ubyte');
    expect(err.offsetBytes).toBe(25);
    expect(err.message).toContain('train-images-idx3-ubyte');
    expect(err.message).toContain('offset 25');
    expect(err.message).toContain('12 data bytes for 3 images of shape [3, 2, 2]');
    expect(err.message).toContain('after 2 complete images');
  });

  it('rejects trailing bytes after the data the header announces', () => {
    const err = formatError(() => parseIdx(idxBytes([2], [1, 2, 3]), 'labels-file'));
    expect(err.offsetBytes).toBe(10);
    expect(err.found).toBe('1 more bytes');
  });

  it('rejects a wrong magic number, showing the bytes', () => {
    const bytes = idxBytes([1], [0]);
    bytes[3] = 0x02; // 0x0802: a 2-d ubyte file, which MNIST never uses
    const err = formatError(() => parseIdx(bytes, 'odd'));
    expect(err.offsetBytes).toBe(0);
    expect(err.found).toBe('2050 (bytes 00 00 08 02)');
    expect(err.expected).toContain('2049');
    expect(err.expected).toContain('2051');
  });

  it('rejects a labels file where images are expected', () => {
    const err = formatError(() => parseIdx(idxBytes([1], [3]), 'swapped', 'images'));
    expect(err.expected).toBe('magic 2051 (images)');
    expect(err.found).toBe('magic 2049 (labels)');
  });

  it('rejects files too short for the magic or the header', () => {
    expect(formatError(() => parseIdx(new Uint8Array([0, 0]), 'tiny')).offsetBytes).toBe(2);
    const header = idxBytes([4, 28, 28], []).subarray(0, 10);
    const err = formatError(() => parseIdx(header, 'cut-header'));
    expect(err.offsetBytes).toBe(10);
    expect(err.expected).toContain('data starts at offset 16');
  });

  it('rejects a .gz name whose content is not gzip, and a truncated gzip stream', () => {
    expect(formatError(() => parseIdx(idxBytes([1], [1]), 'x.gz')).found).toBe('bytes 00 00');
    const gz = gzipSync(idxBytes([100], new Array(100).fill(3)));
    const err = formatError(() => parseIdx(gz.subarray(0, gz.length - 12), 'cut.gz'));
    expect(err.file).toBe('cut.gz');
    expect(err.offsetBytes).toBe(gz.length - 12);
    expect(err.expected).toBe('more gzip data');
  });

  it('reports offsets into the decompressed bytes for gzipped input', () => {
    const cut = idxBytes([4], [1, 2, 3, 4]).subarray(0, 10);
    const err = formatError(() => parseIdx(gzipSync(cut), 'short.gz'));
    expect(err.file).toBe('short.gz (decompressed)');
    expect(err.offsetBytes).toBe(10);
  });

  it('round-trips any shape, and every truncation of a valid file throws at or before its end', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.integer({ min: 0, max: 20 })),
          fc.tuple(
            fc.integer({ min: 0, max: 6 }),
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 1, max: 5 }),
          ),
        ),
        fc.nat(),
        fc.integer({ min: 0, max: 10_000 }),
        (dims, fill, cutSeed) => {
          const size = dims.reduce((a, b) => a * b, 1);
          const data = Array.from({ length: size }, (_, i) => (fill + i * 31) % 256);
          const bytes = idxBytes(dims, data);
          const file = parseIdx(bytes, 'f');
          expect(file.dims).toEqual(dims);
          expect([...file.data]).toEqual(data);
          const cut = cutSeed % bytes.length;
          const err = formatError(() => parseIdx(bytes.subarray(0, cut), 'f'));
          expect(err.offsetBytes).toBeLessThanOrEqual(cut);
        },
      ),
    );
  });
});
