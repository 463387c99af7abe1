/**
 * The UI's one push channel: server-sent events. A client opens `/api/events` (optionally
 * `?job=<id>`) and receives `jobs` (the list), `job` (the job it watches, with its graph) and
 * `message` (lines worth a user's attention) events. Changes are coalesced: a job that changes a
 * thousand times a second costs one send per FLUSH_MS. New jobs are noticed by a light scan every
 * SCAN_MS (the source has no "job added" event), which subscribes to them.
 */
import type { ServerResponse } from 'node:http';

import { jobRowView, jobView } from './job-views.js';
import type { WebJob, WebSource } from './source.js';

const FLUSH_MS = 250;
const SCAN_MS = 1_000;
const KEEPALIVE_MS = 15_000;

interface Client {
  readonly response: ServerResponse;
  readonly jobId: string | undefined;
}

export class PushChannel {
  private readonly clients = new Set<Client>();
  private readonly subscribed = new Map<string, () => void>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly scanTimer: NodeJS.Timeout;
  private readonly keepaliveTimer: NodeJS.Timeout;

  constructor(private readonly source: WebSource) {
    this.scan();
    this.scanTimer = setInterval(() => this.scan(), SCAN_MS);
    this.keepaliveTimer = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.scanTimer.unref();
    this.keepaliveTimer.unref();
  }

  /** Starts an event stream on `response` and sends the current state at once. */
  open(response: ServerResponse, jobId: string | undefined): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const client: Client = { response, jobId };
    this.clients.add(client);
    response.on('close', () => this.clients.delete(client));
    this.sendState(client);
  }

  /** Ends every stream and stops listening to the jobs. */
  close(): void {
    clearInterval(this.scanTimer);
    clearInterval(this.keepaliveTimer);
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    for (const unsubscribe of this.subscribed.values()) unsubscribe();
    this.subscribed.clear();
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private scan(): void {
    let added = false;
    for (const job of this.source.jobs()) {
      if (this.subscribed.has(job.jobId)) continue;
      this.subscribed.set(job.jobId, this.subscribe(job));
      added = true;
    }
    if (added) this.changed();
  }

  private subscribe(job: WebJob): () => void {
    return job.listen({
      changed: () => this.changed(),
      message: (message) => {
        const data = JSON.stringify({ jobId: job.jobId, ...message });
        for (const client of this.clients) {
          if (client.jobId === undefined || client.jobId === job.jobId) send(client, 'message', data);
        }
      },
    });
  }

  private changed(): void {
    if (this.flushTimer !== undefined || this.clients.size === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      for (const client of this.clients) this.sendState(client);
    }, FLUSH_MS);
  }

  private sendState(client: Client): void {
    const rows = this.source.jobs().map((job) => jobRowView(job.status(), job.compiled()));
    send(client, 'jobs', JSON.stringify(rows));
    if (client.jobId === undefined) return;
    const job = this.source.job(client.jobId);
    if (job !== undefined) send(client, 'job', JSON.stringify(jobView(job.status(), job.compiled())));
  }

  private broadcast(text: string): void {
    for (const client of this.clients) client.response.write(text);
  }
}

function send(client: Client, event: string, data: string): void {
  client.response.write(`event: ${event}\ndata: ${data}\n\n`);
}
