/**
 * The gRPC services of the coordinator (Cluster, Code, Jobs) as thin adapters over CoordinatorCore:
 * they translate streams and calls, map refusals to gRPC status codes, and respect back-pressure.
 */
import { once } from 'node:events';

import { type sendUnaryData, type ServerWritableStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { principalOf } from '../auth/interceptor.js';
import type { ClusterServer, CodeFile, CodeServer, FetchCodeRequest, JobsServer } from '../gen/parajob/v1/parajob.js';
import { GrpcNodeConnection } from './cluster/node-connection.js';
import type { CoordinatorCore } from './coordinator-core.js';
import { grpcError } from './grpc-error.js';
import { SubmitRejected } from './jobs/submission.js';
import { WatchSession } from './jobs/watch-session.js';

/** An error carrying a gRPC status, for callbacks and `emit('error')`. */
/**
 * Cluster.Attach: one stream per node (proto `NodeMessage` in, `CoordinatorMessage` out). Cluster.Join
 * (node certificates) is src/auth's: src/auth/join-service.ts.
 */
export function clusterService(core: CoordinatorCore, logger: Logger): Pick<ClusterServer, 'attach'> {
  return {
    attach(call) {
      // The credential's id, set by the auth interceptor (src/auth): node ids are bound to it.
      const connection = new GrpcNodeConnection(call, principalOf(call.metadata)?.tokenId ?? '');
      let ended = false;
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        core.nodeStreamEnded(connection, reason);
        connection.close();
      };
      call.on('data', (message) => core.nodeMessage(connection, message));
      call.on('end', () => end('the node closed its stream'));
      call.on('error', (error: Error) => {
        logger.warn({ nodeId: connection.nodeId, err: error }, 'node stream error');
        end(`stream error: ${error.message}`);
      });
      call.on('cancelled', () => end('the stream was cancelled'));
    },
  };
}

/** Code.Fetch: the stored snapshot's files, one message each. */
export function codeService(core: CoordinatorCore): CodeServer {
  return {
    fetch(call) {
      void streamCode(core, call);
    },
  };
}

async function streamCode(
  core: CoordinatorCore,
  call: ServerWritableStream<FetchCodeRequest, CodeFile>,
): Promise<void> {
  const files = await core.code.files(call.request.hash);
  if (files === undefined) {
    call.emit('error', grpcError(status.NOT_FOUND, `no code snapshot with hash ${call.request.hash}`));
    return;
  }
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  for (const file of files) {
    if (cancelled) return;
    if (!call.write(file)) await Promise.race([once(call, 'drain'), once(call, 'close')]);
  }
  if (!cancelled) call.end();
}

/** Answers a unary call with what `work` resolves to, or its refusal's status (INTERNAL for anything else). */
function answer<T>(work: Promise<T>, callback: sendUnaryData<T>, what: string, logger: Logger): void {
  work.then(
    (response) => callback(null, response),
    (error: unknown) => {
      if (error instanceof SubmitRejected) {
        callback(grpcError(error.code, error.message));
        return;
      }
      logger.error({ err: error }, `${what} failed`);
      callback(grpcError(status.INTERNAL, `${what} failed: ${error instanceof Error ? error.message : String(error)}`));
    },
  );
}

/** Jobs: Submit, Get, List, Watch, Cancel, Rerun, Delete. */
export function jobsService(core: CoordinatorCore, logger: Logger): JobsServer {
  return {
    submit(call, callback) {
      answer(core.submit(call.request), callback, 'submit', logger);
    },
    get(call, callback) {
      const job = core.job(call.request.jobId);
      if (job === undefined) callback(grpcError(status.NOT_FOUND, `no job with id ${call.request.jobId}`));
      else callback(null, job.status());
    },
    list(_call, callback) {
      callback(null, { jobs: core.allJobs().map((job) => job.status()) });
    },
    watch(call) {
      const job = core.job(call.request.jobId);
      if (job === undefined) {
        call.emit('error', grpcError(status.NOT_FOUND, `no job with id ${call.request.jobId}`));
        return;
      }
      new WatchSession(call, job);
    },
    cancel(call, callback) {
      const result = core.cancel(call.request.jobId, call.request.reason);
      if (result === undefined) callback(grpcError(status.NOT_FOUND, `no job with id ${call.request.jobId}`));
      else callback(null, result);
    },
    rerun(call, callback) {
      answer(core.rerun(call.request.jobId, call.request.fromScratch), callback, 'rerun', logger);
    },
    delete(call, callback) {
      answer(core.delete(call.request.jobId), callback, 'delete', logger);
    },
  };
}
