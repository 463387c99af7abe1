/** How a command run ended, as users read it in `job show` and the run summary. */
import { type CommandEnded, FailureKind } from '../../gen/parajob/v1/parajob.js';

/** Why a command ended the way it did (the exit code, the signal, the timeout, or the node's error). */
export function commandEndedReason(ended: CommandEnded, timeoutMs: number | undefined): string {
  if (ended.errorMessage) return `the command could not run: ${ended.errorMessage}`;
  if (ended.timedOut) return `the command ran past limits.timeout (${(timeoutMs ?? 0) / 1000} s) and was killed`;
  if (ended.cancelled) return 'the command was cancelled';
  const what = ended.signal ? `was killed by ${ended.signal}` : `exited with code ${ended.exitCode}`;
  if (!ended.signal && ended.exitCode === 0) return 'the command exited with code 0';
  const tail = ended.outputTail.trimEnd();
  if (tail === '') return `the command ${what} (see user_logs/std_log.txt)`;
  const lines = tail.split('\n').map((line) => `  | ${line}`);
  return [`the command ${what}; the last lines of its output (user_logs/std_log.txt):`, ...lines].join('\n');
}

/**
 * The failure kind of a command that did not succeed: the user's (its own exit code or a signal), a
 * timeout, or ours (it could not be started).
 */
export function commandFailureKind(ended: CommandEnded): FailureKind {
  if (ended.timedOut) return FailureKind.FAILURE_KIND_TIMEOUT;
  if (ended.errorMessage) return FailureKind.FAILURE_KIND_INTERNAL;
  return FailureKind.FAILURE_KIND_USER;
}
