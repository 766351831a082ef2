// @ts-nocheck
// Public surface of @eff/models.

export { FusedAdamOptimizer, fusedAdam } from './backend/adam.js';
export { DropoutRateError, dropoutMask } from './backend/dropout-mask.js';
export {
  releaseWasmHelperHeaps,
  setWasmThreads,
  WasmHelperThreadError,
  WasmThreadsError,
  wasmHelperHeapBytes,
  wasmThreads,
} from './backend/simd/helper-threads.js';
export {
  BackendUnavailableError,
  UnknownBackendError,
  type UseBackendOptions,
  useBackend,
} from './backend/use-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-training-kernels.js';
export {
  CIFAR10_URL,
  type DownloadCifar10Args,
  defaultCifar10CacheDir,
  downloadCifar10,
  type LoadCifar10Args,
  loadCifar10Dataset,
} from './data/cifar10.js';
export {
  DatasetDownloadError,
  DatasetError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetOptionsError,
  DatasetSplitError,
} from './data/errors.js';
export { type IdxFile, parseIdx } from './data/idx.js';
export { type FoldIndices, type KFold, type KFoldArgs, kFold } from './data/kfold.js';
export { type LoadMnistArgs, loadMnist, loadMnistDataset } from './data/mnist.js';
export { toSplit } from './data/split.js';
export { type BcnnArgs, type BcnnKind, bcnn } from './models/bcnn.js';
export { ModelConfigError, ModelFileError } from './models/errors.js';
export { loadModel, type SavedModelFiles, saveModel } from './models/io.js';
export { type LeNetActivation, type LeNetArgs, type LeNetInit, lenet } from './models/lenet.js';
export { type FitCallback, fitStoppingOnError, withTensorScope } from './models/run-scope.js';
export {
  type CompileArgs,
  compileModel,
  evaluateAccuracy,
  isStochasticModel,
  type OptimizerName,
  type PredictArgs,
  predictMc,
} from './models/train.js';
export {
  type VariationalArgs,
  VariationalConv2D,
  type VariationalConv2DArgs,
  VariationalDense,
  type VariationalDenseArgs,
  variationalKl,
} from './models/variational.js';
export type { BackendChoice, BackendInfo, Dataset, Split, Splits } from './types.js';
