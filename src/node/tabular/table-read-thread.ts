/**
 * The body of a table-reading thread (table-read-pool.ts): reads one tabular lease's rows with the
 * node's reader (table-batches.ts readLeaseTableHere) and sends them back already encoded as the JSON of
 * a protocol TableBatch, in a transferred buffer, so the node's main thread neither parses rows nor
 * serialises them — it only splices the bytes into the worker's `run` frame.
 */
import { parentPort } from 'node:worker_threads';

import type { Lease } from '../../gen/parajob/v1/parajob.js';
import { readLeaseTableHere } from './table-batches.js';

/** A request from the pool. */
export interface TableReadRequest {
  readonly id: number;
  readonly settings: unknown;
  readonly lease: Lease;
}

/** The thread's answer: the rows' count and JSON, or the error that stopped the read. */
export type TableReadReply =
  | { readonly id: number; readonly rowCount: number; readonly json: Uint8Array }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

const port = parentPort;
if (port === null) throw new Error('table-read-thread.js runs as a worker thread of a parajob node');

port.on('message', (request: TableReadRequest) => {
  readLeaseTableHere(request.settings, request.lease).then(
    ({ rowCount, json }) => {
      // The JSON's buffer is its own (TextEncoder output, never a slice of a shared pool): moved, not copied.
      const reply: TableReadReply = { id: request.id, rowCount, json };
      port.postMessage(reply, [json.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const reply: TableReadReply = {
        id: request.id,
        error: {
          name: error instanceof Error ? error.name : 'Error',
          message: error instanceof Error ? error.message : String(error),
        },
      };
      port.postMessage(reply);
    },
  );
});
