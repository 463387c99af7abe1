/**
 * Tabular input: cutting files into mini-batch byte ranges (coordinator side, never loading a whole
 * file), reading one mini-batch's rows (node side) and rendering append_row output.
 */
export { cutByBytes, type ByteWindow } from './cut-by-bytes.js';
export { cutByRows, cutByRowsInto, type RowRangeSink } from './cut-by-rows.js';
export { cutParquet } from './cut-parquet.js';
export { cutTable, cutTableInto, rowWindowOf, type RowWindow, type TableRangeSink, type TabularBatchSize } from './cut-table.js';
export { partitionByKeys, type KeyedMiniBatch } from './partition-by-keys.js';
export { readTableBatch, PATH_COLUMN } from './read-table-batch.js';
export { formatTableRows } from './format-table-rows.js';
export { compilePartitionFormat, extractPartitionValues, type PartitionFormat } from './partition-format.js';
export { INFERENCE_SAMPLE_ROWS, inferColumnType, convertValue, parseDatetime, type InferredType } from './column-types.js';
export { RecordCursor, fileHasHeader, type RecordSpan } from './record-cursor.js';
export { QuoteTracker } from './quote-tracker.js';
