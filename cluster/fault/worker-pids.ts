/**
 * Worker processes of a node, found by parentage: the node process spawns one worker child per
 * processor, so its children in /proc are exactly its live workers (Linux). Deterministic, and
 * independent of log timing.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Pids whose parent is `parentPid` (from /proc/<pid>/stat); [] where /proc is not available. */
export async function childPids(parentPid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const children: number[] = [];
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) === parentPid) children.push(Number(entry));
      }),
  );
  return children.sort((a, b) => a - b);
}

/** SIGKILLs every worker of the node process `nodePid`; returns the pids the signal reached. */
export async function killWorkers(nodePid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number[]> {
  const killed: number[] = [];
  for (const pid of await childPids(nodePid)) {
    try {
      process.kill(pid, signal);
      killed.push(pid);
    } catch {
      // It exited meanwhile: nothing was killed.
    }
  }
  return killed;
}
