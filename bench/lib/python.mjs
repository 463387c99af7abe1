// Which python3 the Python-worker benchmarks use: $PARAJOB_PYTHON, else python3 on PATH.
import { spawnSync } from 'node:child_process';

export function findPythonForBench() {
  for (const candidate of [process.env.PARAJOB_PYTHON, 'python3'].filter(Boolean)) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    if (probe.status === 0) return probe.stdout.trim();
  }
  return undefined;
}
