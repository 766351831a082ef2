// @ts-nocheck
// Parser for the IDX format of the MNIST files (unsigned-byte labels and images), plain or gzipped.
import { gunzipSync } from 'node:zlib';
import { DatasetFormatError } from './errors.js';

/** Magic number of an IDX file of unsigned bytes with one dimension (labels). */
export const IDX_LABELS_MAGIC = 2049;
/** Magic number of an IDX file of unsigned bytes with three dimensions (images: count, rows, columns). */
export const IDX_IMAGES_MAGIC = 2051;

/** The content of one IDX file. */
export interface IdxFile {
  kind: 'labels' | 'images';
  magic: typeof IDX_LABELS_MAGIC | typeof IDX_IMAGES_MAGIC;
  /** Sizes from the header, the item count first: `[count]` for labels, `[count, rows, columns]` for images. */
  dims: number[];
  /** Byte offset of the first data byte in the (decompressed) file. */
  dataOffsetBytes: number;
  /** The data bytes, row-major; a view into the (decompressed) input, not a copy. */
  data: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function gunzip(bytes: Uint8Array, fileName: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // zlib only reports *that* the stream ended early, so the end of the compressed file is the offset we know.
    if (code === 'Z_BUF_ERROR') {
      throw new DatasetFormatError(
        fileName,
        bytes.length,
        'more gzip data',
        'end of file (truncated download?)',
        { cause: err },
      );
    }
    throw new DatasetFormatError(
      fileName,
      0,
      'a valid gzip stream',
      `zlib error: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Parses an IDX file of unsigned bytes (magic 2049 = labels, 2051 = images; big-endian sizes).
 * Gzipped input (`.gz`, recognised by its magic bytes) is decompressed first; offsets in errors then refer to
 * the decompressed bytes. The data length must match the header exactly: a short or over-long file throws a
 * `DatasetFormatError` naming `fileName` and the byte offset.
 * @param expect when given, a file of the other kind is an error.
 */
export function parseIdx(buffer: Uint8Array, fileName: string, expect?: 'labels' | 'images'): IdxFile {
  let bytes = buffer;
  let name = fileName;
  if (isGzip(buffer)) {
    bytes = gunzip(buffer, fileName);
    name = `${fileName} (decompressed)`;
  } else if (fileName.endsWith('.gz')) {
    throw new DatasetFormatError(
      fileName,
      0,
      'gzip magic bytes 1f 8b (the name ends in .gz)',
      `bytes ${hex(buffer.subarray(0, 2))}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicHint = `IDX magic number ${IDX_LABELS_MAGIC} (labels) or ${IDX_IMAGES_MAGIC} (images)`;
  if (bytes.length < 4) {
    throw new DatasetFormatError(
      name,
      bytes.length,
      `a 4-byte ${magicHint}`,
      `end of file after ${bytes.length} bytes`,
    );
  }
  const magic = view.getUint32(0, false);
  if (magic !== IDX_LABELS_MAGIC && magic !== IDX_IMAGES_MAGIC) {
    throw new DatasetFormatError(name, 0, magicHint, `${magic} (bytes ${hex(bytes.subarray(0, 4))})`);
  }
  const kind = magic === IDX_LABELS_MAGIC ? 'labels' : 'images';
  if (expect !== undefined && kind !== expect) {
    const want = expect === 'labels' ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
    throw new DatasetFormatError(name, 0, `magic ${want} (${expect})`, `magic ${magic} (${kind})`);
  }
  const ndims = kind === 'labels' ? 1 : 3;
  const dataOffsetBytes = 4 + 4 * ndims;
  if (bytes.length < dataOffsetBytes) {
    throw new DatasetFormatError(
      name,
      bytes.length,
      `${ndims} big-endian 32-bit sizes in the header (data starts at offset ${dataOffsetBytes})`,
      'end of file',
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims[0]!;
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const dataBytes = count * itemBytes;
  const endOffset = dataOffsetBytes + dataBytes;
  const noun = kind === 'labels' ? 'label' : 'image';
  if (bytes.length < endOffset) {
    const complete = itemBytes === 0 ? 0 : Math.floor((bytes.length - dataOffsetBytes) / itemBytes);
    throw new DatasetFormatError(
      name,
      bytes.length,
      `${dataBytes} data bytes for ${count} ${noun}s of shape [${dims.join(', ')}] (file size ${endOffset})`,
      `end of file after ${complete} complete ${noun}s`,
    );
  }
  if (bytes.length > endOffset) {
    throw new DatasetFormatError(
      name,
      endOffset,
      `end of file after ${count} ${noun}s (header says [${dims.join(', ')}])`,
      `${bytes.length - endOffset} more bytes`,
    );
  }
  return {
    kind,
    magic,
    dims,
    dataOffsetBytes,
    data: bytes.subarray(dataOffsetBytes, endOffset),
  };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(none)';
}
