/**
 * A typed promise wrapper over the generated `Jobs` gRPC client, for the CLI and the future SDK.
 * Every unary call carries a deadline (src/rpc/options.ts); `watch` is an async iterable of JobEvents
 * that ends when the server ends the stream and can be stopped early with an AbortSignal.
 */
import { type ClientReadableStream, Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';

import { type Dial, PLAINTEXT_DIAL } from '../auth/dial.js';
import {
  type CodeSnapshot,
  type DeleteJobResponse,
  type JobEvent,
  JobsClient,
  type JobStatus,
  type SubmitJobResponse,
} from '../gen/parajob/v1/parajob.js';
import { deadlineIn, UNARY_DEADLINE_MS } from './options.js';

/** What a client submits: the YAML as written, where it came from, and its code snapshots. */
export interface SubmitJobInput {
  readonly specYaml: string;
  /** Absolute path of the YAML on the client (relative paths in it resolve against its folder). */
  readonly specPath: string;
  /** One snapshot per distinct task.code folder. */
  readonly code: readonly CodeSnapshot[];
  /** Absolute run directory; undefined: the coordinator picks `<data dir>/runs/<job id>`. */
  readonly runDir?: string;
  /** Job id to use; undefined: the coordinator makes one. */
  readonly jobId?: string;
  /** Fault injection for the job's run() calls (src/chaos/model.ts text form); undefined: none. */
  readonly chaos?: string;
}

export interface JobsApiOptions {
  /** Deadline of every unary call, in milliseconds. @default UNARY_DEADLINE_MS (30 s) */
  readonly deadlineMs?: number;
  /** Channel credentials and token (src/auth/dial.ts resolveDial). @default plaintext, no token */
  readonly dial?: Dial;
}

/** True when `error` is a gRPC error (it carries a numeric status `code`). */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error;
}

/** True when the gRPC call failed because nothing answered at the address (or the deadline passed connecting). */
export function isUnreachable(error: unknown): boolean {
  return (
    isServiceError(error) && (error.code === GrpcStatus.UNAVAILABLE || error.code === GrpcStatus.DEADLINE_EXCEEDED)
  );
}

/**
 * The Jobs service of one coordinator. Create one per address; `close()` it when done so the process
 * can exit (an open channel keeps the event loop alive).
 */
export class JobsApi {
  private readonly client: JobsClient;
  private readonly deadlineMs: number;

  /** @param address `host:port` of the coordinator. */
  constructor(
    readonly address: string,
    options: JobsApiOptions = {},
  ) {
    const dial = options.dial ?? PLAINTEXT_DIAL;
    this.client = new JobsClient(address, dial.credentials, dial.options);
    this.deadlineMs = options.deadlineMs ?? UNARY_DEADLINE_MS;
  }

  /** Submits a job; resolves with its id, run directory and spec warnings. */
  submit(input: SubmitJobInput): Promise<SubmitJobResponse> {
    const request = {
      specYaml: input.specYaml,
      specPath: input.specPath,
      code: [...input.code],
      runDir: input.runDir ?? '',
      jobId: input.jobId ?? '',
      chaos: input.chaos ?? '',
    };
    return new Promise((resolve, reject) => {
      this.client.submit(request, this.metadata(), { deadline: deadlineIn(this.deadlineMs) }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** The job's current status; rejects with NOT_FOUND for an unknown id. */
  get(jobId: string): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      this.client.get({ jobId }, this.metadata(), { deadline: deadlineIn(this.deadlineMs) }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** Every job the coordinator knows, as it orders them. */
  list(): Promise<JobStatus[]> {
    return new Promise((resolve, reject) => {
      this.client.list({}, this.metadata(), { deadline: deadlineIn(this.deadlineMs) }, (error, response) =>
        error ? reject(error) : resolve(response.jobs),
      );
    });
  }

  /** Asks the coordinator to cancel the job; resolves with its status right after the request. */
  cancel(jobId: string, reason = 'cancelled by the user'): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      this.client.cancel(
        { jobId, reason },
        this.metadata(),
        { deadline: deadlineIn(this.deadlineMs) },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }

  /** Reruns a failed or cancelled job as a new job; resolves with the new job's id and run directory. */
  rerun(jobId: string, fromScratch = false): Promise<SubmitJobResponse> {
    return new Promise((resolve, reject) => {
      this.client.rerun(
        { jobId, fromScratch },
        this.metadata(),
        { deadline: deadlineIn(this.deadlineMs) },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }

  /** Deletes an ended job (its run directory and journal entries). */
  delete(jobId: string): Promise<DeleteJobResponse> {
    return new Promise((resolve, reject) => {
      this.client.delete({ jobId }, this.metadata(), { deadline: deadlineIn(this.deadlineMs) }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /**
   * The job's events (its status on every change, and messages) until the server ends the stream,
   * which it does once the job is terminal; with `logs`, command steps' output too (StepLog events). No deadline: a job may run for days. Aborting `signal`
   * cancels the call and ends the iteration quietly; any other stream error is thrown.
   */
  async *watch(jobId: string, signal?: AbortSignal, logs = false): AsyncGenerator<JobEvent, void, undefined> {
    const call: ClientReadableStream<JobEvent> = this.client.watch({ jobId, logs }, this.metadata());
    const onAbort = (): void => call.cancel();
    if (signal?.aborted) call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // grpc-js readable streams are async iterable; a cancelled call ends with CANCELLED.
      for await (const event of call as AsyncIterable<JobEvent>) yield event;
    } catch (error) {
      if (signal?.aborted && isServiceError(error) && error.code === GrpcStatus.CANCELLED) return;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }

  /** A fresh Metadata per call: grpc-js mutates the one it is given. */
  private metadata(): Metadata {
    return new Metadata();
  }
}
