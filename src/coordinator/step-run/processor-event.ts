/**
 * The edge where a node's processor event enters the coordinator: the proto's ProcessorEvent (one
 * message, told apart by its `kind` enum) becomes one typed step-run event per kind, once, so the
 * step-run machine has one transition and one action per kind and never looks at the enum.
 */
import { type ProcessorEvent, ProcessorEventKind } from '../../gen/parajob/v1/parajob.js';
import type { ProcessorEventType, StepRunProcessorEvent } from './context.js';

const TYPE_OF_KIND: Readonly<Partial<Record<ProcessorEventKind, ProcessorEventType>>> = {
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_READY]: 'processor.ready',
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED]: 'processor.initFailed',
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT]: 'processor.invalid',
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_WORKER_EXITED]: 'processor.exited',
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED]: 'processor.escalated',
  [ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED]: 'processor.stopped',
};

/** The step-run event of `event` from `nodeId`; undefined for a kind this coordinator does not know. */
export function stepRunEventOf(nodeId: string, event: ProcessorEvent): StepRunProcessorEvent | undefined {
  const type = TYPE_OF_KIND[event.kind];
  if (type === undefined) return undefined;
  const { processName, pid, message, exitCode, signal } = event;
  return { type, nodeId, processName, pid, message, exitCode, signal };
}
