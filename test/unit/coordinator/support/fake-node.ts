/**
 * A fake node for coordinator tests, written against the generated ClusterClient: it says hello,
 * heartbeats, takes assignments, asks for leases with credit (like a real node: N up front, +1 per
 * finished lease), answers leases with a result chosen by the test, and leaves a job when released.
 */
import { EventEmitter, once } from 'node:events';

import { type ClientDuplexStream, credentials } from '@grpc/grpc-js';

import {
  type BatchResult,
  ClusterClient,
  type CoordinatorMessage,
  type JobAssignment,
  type Lease,
  type NodeMessage,
  type ProcessorEventKind,
} from '../../../../src/gen/parajob/v1/parajob.js';
import { CHANNEL_OPTIONS } from '../../../../src/rpc/options.js';
import { resultFor } from './batch-result.js';

/** What the node does with a lease: answer it now with a result, or hold it (never answer). */
export type LeaseHandler = (lease: Lease, jobId: string) => BatchResult | 'hold';

/** A COMPLETED result whose rows are the lease's file paths, one per line. */
export function echoFiles(lease: Lease): BatchResult {
  return resultFor(lease, { total: lease.files.length, lines: lease.files });
}

export class FakeNode extends EventEmitter {
  nodeId: string | undefined;
  readonly assignments: JobAssignment[] = [];
  readonly leases: Lease[] = [];
  readonly releases: string[] = [];
  private readonly client: ClusterClient;
  private readonly stream: ClientDuplexStream<NodeMessage, CoordinatorMessage>;
  private heartbeat: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    address: string,
    readonly name: string,
    private readonly onLease: LeaseHandler,
    private readonly initialCredit = 2,
  ) {
    super();
    this.client = new ClusterClient(address, credentials.createInsecure(), CHANNEL_OPTIONS);
    this.stream = this.client.attach();
    this.stream.on('data', (message: CoordinatorMessage) => this.receive(message));
    this.stream.on('error', () => undefined); // cancelled by the test, or the server went away
    this.send({
      kind: {
        $case: 'hello',
        value: {
          name,
          compute: 'local',
          cores: 1,
          gpus: 0,
          host: 'test',
          pid: process.pid,
          version: 'test',
          nodeId: '',
          jobIds: [],
          heldLeases: [],
        },
      },
    });
  }

  /** Resolves once the coordinator welcomed the node. */
  async welcomed(): Promise<string> {
    if (this.nodeId === undefined) await once(this, 'welcome');
    return this.nodeId as string;
  }

  /** Sends a processor event of step run `jobId`, as a processor of a real node would. */
  processorEvent(jobId: string, kind: ProcessorEventKind, processName: string): void {
    this.send({
      kind: {
        $case: 'processorEvent',
        value: { jobId, kind, processName, message: '', pid: process.pid, exitCode: 0, signal: '' },
      },
    });
  }

  /** Cuts the stream abruptly (like a crashed node). */
  kill(): void {
    this.stopHeartbeat();
    this.stream.cancel();
    this.client.close();
  }

  /** Ends the stream politely. */
  close(): void {
    this.stopHeartbeat();
    this.stream.end();
    this.client.close();
  }

  private send(message: NodeMessage): void {
    this.stream.write(message);
  }

  private receive(message: CoordinatorMessage): void {
    const kind = message.kind;
    if (kind === undefined) return;
    switch (kind.$case) {
      case 'welcome':
        this.nodeId = kind.value.nodeId;
        this.heartbeat = setInterval(() => {
          this.send({ kind: { $case: 'heartbeat', value: { seq: ++this.seq, sentAtMs: Date.now(), running: 0 } } });
        }, kind.value.heartbeatIntervalMs);
        this.emit('welcome');
        return;
      case 'assign':
        this.assignments.push(kind.value);
        this.send({ kind: { $case: 'leaseRequest', value: { jobId: kind.value.jobId, count: this.initialCredit } } });
        this.emit('assign', kind.value);
        return;
      case 'leases': {
        const results: BatchResult[] = [];
        for (const lease of kind.value.leases) {
          this.leases.push(lease);
          const answer = this.onLease(lease, kind.value.jobId);
          if (answer !== 'hold') results.push(answer);
        }
        this.emit('leases', kind.value.leases);
        if (results.length > 0) {
          this.send({ kind: { $case: 'results', value: { jobId: kind.value.jobId, results } } });
          this.send({ kind: { $case: 'leaseRequest', value: { jobId: kind.value.jobId, count: results.length } } });
        }
        return;
      }
      case 'release':
        this.releases.push(kind.value.jobId);
        this.send({
          kind: { $case: 'jobLeft', value: { jobId: kind.value.jobId, reason: `released: ${kind.value.reason}` } },
        });
        return;
      case 'revoke':
        return;
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
  }
}
