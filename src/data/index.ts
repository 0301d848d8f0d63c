// the data loaders: IDX files and MNIST on top of them; tables from JavaScript values and CSV files

export * from './idx.js';
export * from './mnist.js';
export * from './png.js';
export { toTable, splitTable, standardizeTable, takeRows, dataInfoOf, TASKS, MAX_INFERRED_CLASSES, type Table, type TableSource, type TableSplit, type SplitOptions, type ClassLabel } from './table.js';
export { fitStandardization, standardize, type Standardization } from './standardize.js';
export { loadCsv, CsvError, type CsvOptions, type CsvTable } from './csv.js';
export { predictRows, type Prediction } from './predict.js';
