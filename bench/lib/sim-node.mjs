// Lightweight simulated nodes for the scale benchmark: each opens a real Cluster.Attach gRPC stream
// to a real coordinator process and speaks the node side of the wire (hello, heartbeats, credits,
// results) but runs no worker: every lease is answered COMPLETED at once. What is measured is the
// coordinator, not user code. With `resultBatch`, results go back in messages of that many (the rest
// after `flushMs`), as a node that batches its results does; with `rows`, each result carries one
// append_row line per file (the path), as the no-op entry script's would.
import { credentials } from '@grpc/grpc-js';

const gen = await import(new URL('../../dist/src/gen/parajob/v1/parajob.js', import.meta.url).href);
const { ClusterClient, BatchOutcome } = gen;

/**
 * Attaches `count` simulated nodes to `address` (compute pool `compute`), each keeping `credit`
 * leases outstanding. Returns {completed(), assigned(), whenCompleted(n), start(), stop()}; completed() counts results
 * sent by all nodes, assigned() the job assignments received. With `hold`, a node that is assigned a
 * job asks for no lease until start() (so that a benchmark can time leasing apart from connecting).
 */
export function attachSimulatedNodes(
  address,
  count,
  { compute = 'sim', credit = 64, hold = false, resultBatch = 0, flushMs = 2, rows = false } = {},
) {
  let completed = 0;
  let assigned = 0;
  let holding = hold;
  const held = [];
  const completionWaiters = [];
  const clients = [];
  for (let i = 0; i < count; i++) {
    const client = new ClusterClient(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    });
    const stream = client.attach();
    stream.on('error', () => undefined);
    let heartbeat;
    let seq = 0;
    let flushTimer;
    const outbox = [];
    const sendResults = (jobId, n) => {
      const results = outbox.splice(0, n);
      if (results.length === 0) return;
      completed += results.length;
      for (let w = completionWaiters.length - 1; w >= 0; w--) {
        if (completed >= completionWaiters[w].count) completionWaiters.splice(w, 1)[0].resolve(Date.now());
      }
      stream.write({ kind: { $case: 'results', value: { jobId, results } } });
      stream.write({ kind: { $case: 'leaseRequest', value: { jobId, count: results.length } } });
    };
    stream.write({
      kind: {
        $case: 'hello',
        value: {
          name: `sim-${i}`,
          compute,
          cores: 1,
          gpus: 0,
          host: 'sim',
          pid: process.pid,
          version: 'sim',
          nodeId: '',
          jobIds: [],
        },
      },
    });
    stream.on('data', (message) => {
      const kind = message.kind;
      if (!kind) return;
      if (kind.$case === 'welcome') {
        heartbeat = setInterval(() => {
          stream.write({ kind: { $case: 'heartbeat', value: { seq: ++seq, sentAtMs: Date.now(), running: 0 } } });
        }, kind.value.heartbeatIntervalMs || 1000);
      } else if (kind.$case === 'assign') {
        assigned += 1;
        const request = () =>
          stream.write({ kind: { $case: 'leaseRequest', value: { jobId: kind.value.jobId, count: credit } } });
        if (holding) held.push(request);
        else request();
      } else if (kind.$case === 'leases') {
        const { jobId, leases } = kind.value;
        for (const lease of leases) {
          const items = lease.files.length || lease.itemCount || 1;
          outbox.push({
            miniBatchId: lease.miniBatchId,
            attempt: lease.attempt,
            token: lease.token,
            outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
            total: items,
            succeeded: items,
            returned: items,
            rows: rows ? Buffer.from(lease.files.map((file) => `${file}\n`).join('')) : Buffer.alloc(0),
            rowCount: rows ? lease.files.length : 0,
            errorKind: '',
            errorMessage: '',
            processName: 'process000',
            pid: process.pid,
            startedAtMs: Date.now(),
            runMs: 0,
            elapsedMs: 0,
          });
        }
        if (resultBatch <= 0) sendResults(jobId, outbox.length);
        else {
          while (outbox.length >= resultBatch) sendResults(jobId, resultBatch);
          clearTimeout(flushTimer);
          if (outbox.length > 0) flushTimer = setTimeout(() => sendResults(jobId, outbox.length), flushMs);
        }
      } else if (kind.$case === 'release') {
        stream.write({ kind: { $case: 'jobLeft', value: { jobId: kind.value.jobId, reason: 'released' } } });
      }
    });
    clients.push({ client, stream, stop: () => (clearInterval(heartbeat), clearTimeout(flushTimer)) });
  }
  return {
    completed: () => completed,
    assigned: () => assigned,
    /** Resolves with the time (ms since the epoch) at which the nodes had sent `count` results. */
    whenCompleted: (count) =>
      completed >= count
        ? Promise.resolve(Date.now())
        : new Promise((resolve) => completionWaiters.push({ count, resolve })),
    /** Held nodes ask for their leases now (and later assignments are answered at once). */
    start() {
      holding = false;
      for (const request of held.splice(0)) request();
    },
    stop() {
      for (const { client, stream, stop } of clients) {
        stop();
        stream.end();
        client.close();
      }
    },
  };
}
