/**
 * The worker child process as an XState callback actor, invoked by the processor machine for as long
 * as one worker lives: it spawns the process, sends `init`, turns frames and the exit into events
 * (`worker.*`), and forwards the processor's frames to it. Stopping the actor (leaving the invoking
 * state) SIGKILLs a process still alive, which is how timeouts and restarts end a worker.
 */
import { fromCallback } from 'xstate';

import type { HostMessage, InitMessage, ResultMessage, WireError } from '../../worker/protocol.js';
import { type WorkerExit, type WorkerLaunch, WorkerProcess } from './worker-host.js';

/** What the actor is started with. */
export interface WorkerActorInput {
  readonly launch: WorkerLaunch;
  readonly init: InitMessage;
}

/** Frames the processor asks the actor to send to the worker, in order, in one write (a Uint8Array is an encoded frame). */
export interface WorkerSendCommand {
  readonly type: 'worker.send';
  readonly messages: readonly (HostMessage | Uint8Array)[];
}

/** Events the actor sends to the processor. */
export type WorkerActorEvent =
  | { readonly type: 'worker.spawned'; readonly pid: number }
  | { readonly type: 'worker.ready'; readonly pid: number }
  | { readonly type: 'worker.initFailed'; readonly error: WireError; readonly invalidEntryScript: boolean }
  /** Consecutive results read at once (one event however many a read held), in the worker's order. */
  | { readonly type: 'worker.results'; readonly results: readonly ResultMessage[] }
  | { readonly type: 'worker.shutdownDone'; readonly error?: WireError }
  | { readonly type: 'worker.exited'; readonly exit: WorkerExit };

/** The callback actor logic; see the module comment. */
export const workerActor = fromCallback<WorkerSendCommand, WorkerActorInput>(({ input, sendBack, receive }) => {
  let stopped = false;
  const emit = (event: WorkerActorEvent): void => {
    if (!stopped) sendBack(event);
  };
  const worker = WorkerProcess.launch(input.launch, {
    onSpawn: (pid) => emit({ type: 'worker.spawned', pid }),
    onMessages: (messages) => {
      let results: ResultMessage[] = [];
      const flushResults = (): void => {
        if (results.length === 0) return;
        emit({ type: 'worker.results', results });
        results = [];
      };
      for (const message of messages) {
        switch (message.type) {
          case 'result':
            results.push(message);
            break;
          case 'ready':
            flushResults();
            emit({ type: 'worker.ready', pid: message.pid });
            break;
          case 'initFailed':
            flushResults();
            emit({ type: 'worker.initFailed', error: message.error, invalidEntryScript: message.invalidEntryScript });
            break;
          case 'shutdownDone':
            flushResults();
            emit({ type: 'worker.shutdownDone', ...(message.error === undefined ? {} : { error: message.error }) });
            break;
        }
      }
      flushResults();
    },
    onExit: (exit) => emit({ type: 'worker.exited', exit }),
  });
  worker.send(input.init);
  receive((command) => worker.sendAll(command.messages));
  return () => {
    stopped = true;
    worker.kill('SIGKILL');
  };
});
