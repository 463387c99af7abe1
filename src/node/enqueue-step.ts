/**
 * `enqueueActions` typed ahead of `setup()`, for the node's machines. A step computes in its body (pure
 * functions of the context and its params), then enqueues its assign and the effects of what it
 * computed, as functions that run as actions after the assign; the body itself does no I/O. Declared
 * inside setup(), an enqueueActions that enqueues a function does not type-check once other actions of
 * the machine take params (xstate#4923), hence this.
 */
import { enqueueActions, type EventObject, type MachineContext, type ParameterizedObject } from 'xstate';

/** The step builder of a machine with context `C` and events `E`; `P` is a step's params. */
export function stepsFor<C extends MachineContext, E extends EventObject>() {
  return <P extends ParameterizedObject['params'] | undefined = undefined>(
    collect: Parameters<typeof enqueueActions<C, E, P, E, never, never, never, never, never>>[0],
  ) => enqueueActions(collect);
}
