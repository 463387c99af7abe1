/**
 * What one processor's worker is started with: its environment, working directory, log files and
 * the `init` frame. Pure functions of the job settings and the processor's identity.
 */
import { join } from 'node:path';

import type { InitMessage } from '../../worker/protocol.js';
import type { JobSettings } from '../job/job-settings.js';
import { liveFolders, stagedText } from '../job/staged-outputs.js';
import type { WorkerLaunch } from './worker-host.js';

/** Who a worker is. `index` is the processor index (0-based); `gpus` the node's GPU count. */
export interface WorkerIdentity {
  readonly nodeId: string;
  readonly index: number;
  readonly processName: string;
  readonly gpus: number;
  readonly python?: string;
}

/**
 * process.env + the assignment's environment_variables + AZUREML_BI_OUTPUT_PATH and PARAJOB_* ids.
 * On a GPU node, processor i < gpus sees CUDA_VISIBLE_DEVICES=i and the others none (Azure's rule).
 */
export function workerEnvironment(
  settings: JobSettings,
  who: WorkerIdentity,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...settings.environment,
    AZUREML_BI_OUTPUT_PATH: stagedText(settings.outputDir, settings.stagedOutputs, who),
    PARAJOB_JOB_ID: settings.jobId,
    PARAJOB_NODE_ID: who.nodeId,
    PARAJOB_PROCESS_NAME: who.processName,
    PARAJOB_LOG_DIR: settings.logDir,
  };
  if (who.gpus > 0) {
    env['AZ_BATCHAI_GPU_COUNT_FOUND'] = String(who.gpus);
    if (who.index < who.gpus) env['CUDA_VISIBLE_DEVICES'] = String(who.index);
    else delete env['CUDA_VISIBLE_DEVICES'];
  }
  return env;
}

/** The spawn settings of a processor's worker. */
export function workerLaunch(settings: JobSettings, who: WorkerIdentity): WorkerLaunch {
  const python = settings.python ?? who.python;
  return {
    entryScript: settings.entryScript,
    // The interpreter checked at job start wins over the node's raw --python.
    ...(python === undefined ? {} : { python }),
    env: workerEnvironment(settings, who),
    // Each worker gets its own folder (Azure: a temp dir per process) so downloads do not collide.
    cwd: join(settings.workDir, who.processName),
    stdoutFile: settings.layout.userStdout(who.nodeId, who.processName),
    stderrFile: settings.layout.userStderr(who.nodeId, who.processName),
  };
}

/** The `init` frame of a processor's worker. */
export function initMessage(settings: JobSettings, who: WorkerIdentity): InitMessage {
  return {
    type: 'init',
    jobId: settings.jobId,
    nodeId: who.nodeId,
    processName: who.processName,
    entryScript: settings.entryScript,
    // Staged outputs: the script writes in its processor's live folder, never in the output itself.
    argv: settings.argv.map((word) => stagedText(word, settings.stagedOutputs, who)),
    outputDir: stagedText(settings.outputDir, settings.stagedOutputs, who),
    userLogFile: settings.layout.userEntryScriptLog(who.nodeId, who.processName),
    loggingLevel: settings.loggingLevel,
    appendRow: settings.appendRow,
    inputKind: settings.inputKind,
    ...(settings.tabularReader === undefined ? {} : { tabularReader: settings.tabularReader }),
    ...(settings.stagedOutputs.length === 0 ? {} : { stageLive: liveFolders(settings.stagedOutputs, who) }),
  };
}
