/**
 * Ctrl-C handling for commands that own something running: the first SIGINT (or SIGTERM) asks for a
 * graceful end, the second one means "now".
 */

export interface InterruptHandlers {
  /** First SIGINT/SIGTERM: start a graceful stop (e.g. cancel the job and wait for it). */
  readonly first: (signal: NodeJS.Signals) => void;
  /** Second one: give up at once (kill what is left and exit). */
  readonly second: (signal: NodeJS.Signals) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function onInterrupts(handlers: InterruptHandlers): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) handlers.first(signal);
    else handlers.second(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** Resolves with the signal at the first SIGINT or SIGTERM (for long-running servers). */
export function waitForTermination(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const listener = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
      resolve(signal);
    };
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
  });
}
