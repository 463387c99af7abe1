/** The UI's calls to its coordinator: JSON reads, the cancel post, and the event stream. */
export class Unauthorized extends Error {}

async function answer<T>(response: Response): Promise<T> {
  if (response.status === 401) throw new Unauthorized('this needs a token');
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: 'same-origin', cache: 'no-store' }));
}

export async function postJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { method: 'POST', credentials: 'same-origin' }));
}

/** `/api/jobs/<job>` with each segment encoded (step names may hold `/`). */
export function jobPath(jobId: string, ...rest: string[]): string {
  return ['/api/jobs', jobId, ...rest].map((part, index) => (index === 0 ? part : encodeURIComponent(part))).join('/');
}

export interface EventHandlers {
  jobs?(data: unknown): void;
  job?(data: unknown): void;
  message?(data: unknown): void;
  live(on: boolean): void;
}

/** Opens the push channel (one per page); the browser reconnects by itself. */
export function openEvents(jobId: string | undefined, handlers: EventHandlers): EventSource {
  const source = new EventSource(jobId === undefined ? '/api/events' : `/api/events?job=${encodeURIComponent(jobId)}`);
  source.onopen = () => handlers.live(true);
  source.onerror = () => handlers.live(false);
  for (const name of ['jobs', 'job', 'message'] as const) {
    source.addEventListener(name, (event) => handlers[name]?.(JSON.parse((event as MessageEvent<string>).data)));
  }
  return source;
}
