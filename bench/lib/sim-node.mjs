// Lightweight simulated nodes for the scale benchmark: each opens a real Cluster.Attach gRPC stream
// to a real coordinator process and speaks the node side of the wire (hello, heartbeats, credits,
// results) but runs no worker: every lease is answered COMPLETED at once. What is measured is the
// coordinator, not user code.
import { credentials } from '@grpc/grpc-js';

const gen = await import(new URL('../../dist/src/gen/parajob/v1/parajob.js', import.meta.url).href);
const { ClusterClient, BatchOutcome } = gen;

/**
 * Attaches `count` simulated nodes to `address` (compute pool `compute`), each keeping `credit`
 * leases outstanding. Returns {completed(), assigned(), whenCompleted(n), start(), stop()}; completed() counts results
 * sent by all nodes, assigned() the job assignments received. With `hold`, a node that is assigned a
 * job asks for no lease until start() (so that a benchmark can time leasing apart from connecting).
 */
export function attachSimulatedNodes(address, count, { compute = 'sim', credit = 64, hold = false } = {}) {
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
    stream.write({ kind: { $case: 'hello', value: { name: `sim-${i}`, compute, cores: 1, gpus: 0, host: 'sim', pid: process.pid, version: 'sim', nodeId: '', jobIds: [] } } });
    stream.on('data', (message) => {
      const kind = message.kind;
      if (!kind) return;
      if (kind.$case === 'welcome') {
        heartbeat = setInterval(() => {
          stream.write({ kind: { $case: 'heartbeat', value: { seq: ++seq, sentAtMs: Date.now(), running: 0 } } });
        }, kind.value.heartbeatIntervalMs || 1000);
      } else if (kind.$case === 'assign') {
        assigned += 1;
        const request = () => stream.write({ kind: { $case: 'leaseRequest', value: { jobId: kind.value.jobId, count: credit } } });
        if (holding) held.push(request);
        else request();
      } else if (kind.$case === 'leases') {
        const { jobId, leases } = kind.value;
        const results = leases.map((lease) => ({
          miniBatchId: lease.miniBatchId,
          attempt: lease.attempt,
          token: lease.token,
          outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
          total: lease.files.length || lease.itemCount || 1,
          succeeded: lease.files.length || lease.itemCount || 1,
          returned: lease.files.length || lease.itemCount || 1,
          rows: Buffer.alloc(0),
          rowCount: 0,
          errorKind: '',
          errorMessage: '',
          processName: 'process000',
          pid: process.pid,
          startedAtMs: Date.now(),
          runMs: 0,
          elapsedMs: 0,
        }));
        completed += results.length;
        for (let w = completionWaiters.length - 1; w >= 0; w--) {
          if (completed >= completionWaiters[w].count) completionWaiters.splice(w, 1)[0].resolve(Date.now());
        }
        stream.write({ kind: { $case: 'results', value: { jobId, results } } });
        stream.write({ kind: { $case: 'leaseRequest', value: { jobId, count: leases.length } } });
      } else if (kind.$case === 'release') {
        stream.write({ kind: { $case: 'jobLeft', value: { jobId: kind.value.jobId, reason: 'released' } } });
      }
    });
    clients.push({ client, stream, stop: () => clearInterval(heartbeat) });
  }
  return {
    completed: () => completed,
    assigned: () => assigned,
    /** Resolves with the time (ms since the epoch) at which the nodes had sent `count` results. */
    whenCompleted: (count) => (completed >= count ? Promise.resolve(Date.now()) : new Promise((resolve) => completionWaiters.push({ count, resolve }))),
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
