/** Whether an OS process still runs, for tests that must prove a process was killed (Linux /proc). */
import { readFileSync } from 'node:fs';

/**
 * True while process `pid` exists and is not a zombie: a killed process may linger as one until its
 * parent (or, for an orphan, whoever adopts it) reaps it, and that is not "running".
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ...": comm may hold spaces and parentheses, so read the state after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
