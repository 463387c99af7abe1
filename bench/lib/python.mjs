// Which python3 the Python-worker benchmarks use: $PARAJOB_PYTHON, else python3 on PATH, else
// /usr/bin/python3 (the system's, where Debian's python3-pandas installs); with {pandas: true} the first
// of them that imports pandas.
import { spawnSync } from 'node:child_process';

export function findPythonForBench({ pandas = false } = {}) {
  for (const candidate of [process.env.PARAJOB_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const code = `${pandas ? 'import pandas; ' : ''}import sys; print(sys.executable)`;
    const probe = spawnSync(candidate, ['-c', code], { encoding: 'utf8' });
    if (probe.status === 0) return probe.stdout.trim();
  }
  return undefined;
}
