/** One sentence on how a command run ended, as users read it in `job show` and the run summary. */
import type { CommandEnded } from '../../gen/parajob/v1/parajob.js';

/** Why a command ended the way it did (the exit code, the signal, the timeout, or the node's error). */
export function commandEndedReason(ended: CommandEnded, timeoutMs: number | undefined): string {
  if (ended.errorMessage) return `the command could not run: ${ended.errorMessage}`;
  if (ended.timedOut) return `the command ran past limits.timeout (${(timeoutMs ?? 0) / 1000} s) and was killed`;
  if (ended.cancelled) return 'the command was cancelled';
  if (ended.signal) return `the command was killed by ${ended.signal}`;
  if (ended.exitCode === 0) return 'the command exited with code 0';
  return `the command exited with code ${ended.exitCode} (see user_logs/std_log.txt)`;
}
