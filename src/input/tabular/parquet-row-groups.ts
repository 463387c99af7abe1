/**
 * The row groups of a parquet file (from its footer, read with hyparquet): a parquet mini-batch is a
 * run of whole row groups, so a file with one row group cannot be split (as in Azure). A row group is
 * addressed by a byte range: from its first column chunk to the end of its last one.
 */
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync } from 'hyparquet';

import { InputError } from '../../errors.js';

/** One row group: its byte span in the file and its rows (`firstRow` counts from the file's start). */
export interface RowGroupSpan {
  readonly start: number;
  readonly end: number;
  readonly firstRow: number;
  readonly rows: number;
}

/** Reads the footer of `file`. @throws InputError naming the file when it is not parquet. */
export async function readParquetMetadata(
  file: string,
): Promise<{ metadata: FileMetaData; buffer: Awaited<ReturnType<typeof asyncBufferFromFile>> }> {
  try {
    const buffer = await asyncBufferFromFile(file);
    return { metadata: await parquetMetadataAsync(buffer), buffer };
  } catch (error) {
    throw new InputError(`${file}: cannot read it as parquet (read_parquet): ${(error as Error).message}`);
  }
}

/** The row groups of `metadata`, in file order. */
export function rowGroupSpans(metadata: FileMetaData): RowGroupSpan[] {
  let firstRow = 0;
  return metadata.row_groups.map((group) => {
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      // A chunk starts at its dictionary page when it has one. Some writers put 0 (or nothing) in
      // dictionary_page_offset when there is no dictionary: 0 is never a page (the file starts with
      // "PAR1"), and taking it would give every row group the same start, so ranges would overlap.
      const dataOffset = Number(meta.data_page_offset);
      const dictionaryOffset = Number(meta.dictionary_page_offset ?? 0);
      const chunkStart = dictionaryOffset > 0 ? Math.min(dictionaryOffset, dataOffset) : dataOffset;
      start = Math.min(start, chunkStart);
      end = Math.max(end, chunkStart + Number(meta.total_compressed_size));
    }
    const rows = Number(group.num_rows);
    const span = { start: Number.isFinite(start) ? start : 0, end, firstRow, rows };
    firstRow += rows;
    return span;
  });
}
