/**
 * Tabular input: cutting files into mini-batch byte ranges (coordinator side, never loading a whole
 * file), reading one mini-batch's rows (node side) and rendering append_row output.
 */
export {
  convertValue,
  inferColumnType,
  INFERENCE_SAMPLE_ROWS,
  type InferredType,
  parseDatetime,
} from './column-types.js';
export { type ByteWindow, cutByBytes } from './cut-by-bytes.js';
export { cutByRows, cutByRowsInto, type RowRangeSink } from './cut-by-rows.js';
export { cutParquet } from './cut-parquet.js';
export {
  cutTable,
  cutTableInto,
  type RowWindow,
  rowWindowOf,
  type TableRangeSink,
  type TabularBatchSize,
} from './cut-table.js';
export { formatTableRows } from './format-table-rows.js';
export { type KeyedMiniBatch, partitionByKeys } from './partition-by-keys.js';
export { compilePartitionFormat, extractPartitionValues, type PartitionFormat } from './partition-format.js';
export { QuoteTracker } from './quote-tracker.js';
export { PATH_COLUMN, readTableBatch } from './read-table-batch.js';
export { fileHasHeader, RecordCursor, type RecordSpan } from './record-cursor.js';
