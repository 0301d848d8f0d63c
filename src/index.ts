// blasprop's public API

export { Matrix, DTYPES, arrayFor, dtypeOf } from './matrix.js';
export type { DType, FloatArray } from './matrix.js';
export { getBackend, useBackend, backendByName, isNativeAvailable, referenceBackend } from './backend/index.js';
export type { Backend, BackendName, GemmOptions } from './backend/index.js';
export { info, setNumThreads, getNumThreads } from './info.js';
export type { BlaspropInfo } from './info.js';
