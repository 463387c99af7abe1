/**
 * A stand-in for the worker actor (src/node/processor/worker-actor.ts), for machine tests of the
 * processor with `processorMachine.provide({ actors: { workerProcess: workers.logic } })`: each worker
 * the processor starts is recorded, the test decides what it says (spawned, ready, init failed, results,
 * exit), and the frames the processor sends it are kept. `onStart` scripts what every new worker does
 * first (in a microtask, as a real one answers later than its start).
 */
import { fromCallback } from 'xstate';

import type {
  WorkerActorEvent,
  WorkerActorInput,
  WorkerSendCommand,
} from '../../../src/node/processor/worker-actor.js';
import type { HostMessage } from '../../../src/worker/protocol.js';

export class FakeWorker {
  /** What the processor sent, one entry per write. */
  readonly writes: (readonly (HostMessage | Uint8Array)[])[] = [];
  /** The processor stopped the actor (which SIGKILLs a real worker). */
  killed = false;

  constructor(
    readonly pid: number,
    private readonly sendBack: (event: WorkerActorEvent) => void,
  ) {}

  spawned(): void {
    this.sendBack({ type: 'worker.spawned', pid: this.pid });
  }
  ready(): void {
    this.sendBack({ type: 'worker.ready', pid: this.pid });
  }
  initFailed(): void {
    this.sendBack({
      type: 'worker.initFailed',
      error: { kind: 'Error', message: 'no model' },
      invalidEntryScript: false,
    });
  }
  /** Results of runs `miniBatchIds` (attempt 1), each taking `runMs`, in one read. */
  answer(miniBatchIds: readonly number[], runMs = 1): void {
    this.sendBack({
      type: 'worker.results',
      results: miniBatchIds.map((miniBatchId) => ({
        type: 'result',
        miniBatchId,
        attempt: 1,
        total: 1,
        succeeded: 1,
        returned: 1,
        rows: '',
        rowCount: 0,
        runMs,
      })),
    });
  }
  exit(code = 3): void {
    this.sendBack({ type: 'worker.exited', exit: { code, signal: null } });
  }

  /** The mini-batch ids of the `run` frames of each write. */
  runsPerWrite(): number[][] {
    return this.writes.map((messages) =>
      messages.flatMap((message) => ('type' in message && message.type === 'run' ? [message.miniBatchId] : [])),
    );
  }
}

export class FakeWorkers {
  readonly started: FakeWorker[] = [];

  constructor(
    private readonly onStart: (worker: FakeWorker) => void = (worker) => (worker.spawned(), worker.ready()),
  ) {}

  readonly logic = fromCallback<WorkerSendCommand, WorkerActorInput>(({ sendBack, receive }) => {
    const worker = new FakeWorker(1000 + this.started.length, sendBack);
    this.started.push(worker);
    receive((command) => worker.writes.push(command.messages));
    queueMicrotask(() => {
      if (!worker.killed) this.onStart(worker);
    });
    return () => {
      worker.killed = true;
    };
  });

  /** The worker started last. */
  get last(): FakeWorker {
    const worker = this.started.at(-1);
    if (worker === undefined) throw new Error('no worker started');
    return worker;
  }
}
