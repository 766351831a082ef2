// @ts-nocheck
// Typed errors of the dataset loaders, each with a stable `code` and a message that says what to do.

/** Base of every dataset failure; `code` is stable and machine-readable. */
export class DatasetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
    this.code = code;
  }
}

/** A data file is truncated or not in the format it should be; names the file and the byte offset. */
export class DatasetFormatError extends DatasetError {
  constructor(
    /** Path (or name) of the offending file. */
    readonly file: string,
    /** Byte offset in the (decompressed) file where the problem was found. */
    readonly offsetBytes: number,
    /** What the format requires at that offset. */
    readonly expected: string,
    /** What the file holds instead. */
    readonly found: string,
    options?: { cause?: unknown },
  ) {
    super(
      'E_DATASET_FORMAT',
      `${file}: at byte offset ${offsetBytes} expected ${expected}, found ${found}. ` +
        'The file is truncated or corrupt; delete it and download or extract it again.',
      options,
    );
    this.name = 'DatasetFormatError';
  }
}

/** Files a dataset needs are not where they were looked for. */
export class DatasetMissingError extends DatasetError {
  constructor(
    readonly dir: string,
    readonly missingFiles: string[],
    howToGet: string,
  ) {
    super('E_DATASET_MISSING', `${dir} lacks ${missingFiles.join(', ')}. ${howToGet}`);
    this.name = 'DatasetMissingError';
  }
}

/** A dataset could not be downloaded (offline, HTTP error, checksum mismatch, bad archive). */
export class DatasetDownloadError extends DatasetError {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('E_DATASET_DOWNLOAD', message, options);
    this.name = 'DatasetDownloadError';
  }
}

/** Split options that cannot be met by the data (bad sizes, too few images of a class, bad indices). */
export class DatasetSplitError extends DatasetError {
  constructor(message: string) {
    super('E_DATASET_SPLIT', message);
    this.name = 'DatasetSplitError';
  }
}

/** Options that contradict each other or are out of range. */
export class DatasetOptionsError extends DatasetError {
  constructor(message: string) {
    super('E_DATASET_OPTIONS', message);
    this.name = 'DatasetOptionsError';
  }
}
