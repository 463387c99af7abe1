/**
 * The cluster runLocal starts in its own process: a coordinator on 127.0.0.1 (any free port) and the
 * nodes each compute pool needs. Loaded by run-local.ts only when runLocal is called, through a
 * specifier the compiler does not follow, so that neither the SDK's import graph nor the package's
 * declarations (tsconfig.types.json) reach the coordinator and node modules.
 */
import { join } from 'node:path';

import { startCoordinator } from '../coordinator/index.js';
import { createRootLogger } from '../log/logger.js';
import { startNode } from '../node/index.js';
import type { LocalCluster, StartLocalCluster } from './run-local.js';

/** Starts the coordinator, then the nodes; stops what started when a node fails to. */
export const startLocalCluster: StartLocalCluster = async ({ dataDir, pools, logLevel }): Promise<LocalCluster> => {
  const coordinator = await startCoordinator({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    // One job, one process: nothing to resume later, as for `parajob run`.
    journal: false,
    logger: createRootLogger({ role: 'coordinator', level: logLevel, file: join(dataDir, 'coordinator.log') }),
  });
  const nodes: { stop(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    await coordinator.stop({ graceMs: 0 });
  };
  try {
    for (const [compute, count] of pools) {
      for (let index = 1; index <= count; index++) {
        const name = `${compute}-${index}`;
        nodes.push(
          await startNode({
            coordinator: coordinator.address,
            name,
            compute,
            cacheDir: join(dataDir, 'nodes', name),
            logger: createRootLogger({ role: 'node', level: logLevel, file: join(dataDir, 'nodes', `${name}.log`) }),
          }),
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: coordinator.address, stop };
};
