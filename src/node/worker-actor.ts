/**
 * The worker child process as an XState callback actor, invoked by the processor machine for as long
 * as one worker lives: it spawns the process, sends `init`, turns frames and the exit into events
 * (`worker.*`), and forwards the processor's frames to it. Stopping the actor (leaving the invoking
 * state) SIGKILLs a process still alive, which is how timeouts and restarts end a worker.
 */
import { fromCallback } from 'xstate';
import type { HostMessage, InitMessage, ResultMessage, WireError } from '../worker/protocol.js';
import { WorkerProcess, type WorkerExit, type WorkerLaunch } from './worker-host.js';

/** What the actor is started with. */
export interface WorkerActorInput {
  readonly launch: WorkerLaunch;
  readonly init: InitMessage;
}

/** Frames the processor asks the actor to send to the worker. */
export interface WorkerSendCommand {
  readonly type: 'worker.send';
  readonly message: HostMessage;
}

/** Events the actor sends to the processor. */
export type WorkerActorEvent =
  | { readonly type: 'worker.spawned'; readonly pid: number }
  | { readonly type: 'worker.ready'; readonly pid: number }
  | { readonly type: 'worker.initFailed'; readonly error: WireError; readonly invalidEntryScript: boolean }
  | { readonly type: 'worker.result'; readonly result: ResultMessage }
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
    onMessage: (message) => {
      switch (message.type) {
        case 'ready':
          return emit({ type: 'worker.ready', pid: message.pid });
        case 'initFailed':
          return emit({ type: 'worker.initFailed', error: message.error, invalidEntryScript: message.invalidEntryScript });
        case 'result':
          return emit({ type: 'worker.result', result: message });
        case 'shutdownDone':
          return emit({ type: 'worker.shutdownDone', ...(message.error === undefined ? {} : { error: message.error }) });
      }
    },
    onExit: (exit) => emit({ type: 'worker.exited', exit }),
  });
  worker.send(input.init);
  receive((command) => worker.send(command.message));
  return () => {
    stopped = true;
    worker.kill('SIGKILL');
  };
});
