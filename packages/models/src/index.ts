// Public surface of @eff/models.

export {
  DatasetDownloadError,
  DatasetError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetSplitError,
} from './data/errors.js';
export { type IdxFile, parseIdx } from './data/idx.js';
export { type LoadMnistArgs, loadMnist, loadMnistDataset } from './data/mnist.js';
export { toSplit } from './data/split.js';
