import { LAB_METHODS, type LabApi, type LabEvent, type LabMethod } from '../../../main/contract';

/** What the HTTP client needs from its host; the defaults are the browser's own. */
export interface HttpLabOptions {
  /** Origin (and optional path prefix) of the serve-mode server, e.g. `http://127.0.0.1:5183`. */
  baseUrl: string;
  fetch?: typeof fetch;
  /** EventSource constructor (SSE at `GET /api/events`). */
  EventSource?: new (url: string) => EventSource;
}

/** A failed LabApi call: the server's one-sentence message, or what went wrong on the way. */
export class LabCallError extends Error {
  override name = 'LabCallError';
}

/**
 * LabApi over the serve-mode HTTP protocol (see the header of main/contract.ts): every method is
 * `POST /api/<method>` with `{"args": [...]}`; LabEvents arrive over one shared EventSource that
 * is opened with the first subscriber and closed with the last.
 */
export function createHttpLab(opts: HttpLabOptions): LabApi {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const ES = opts.EventSource ?? (typeof EventSource === 'undefined' ? undefined : EventSource);

  async function call<T>(method: LabMethod, args: unknown[]): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
      });
    } catch (e) {
      throw new LabCallError(`The lab server at ${base} did not answer ${method} (${e instanceof Error ? e.message : String(e)}); is \`sva-lab serve\` still running?`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new LabCallError(`The lab server answered ${method} with HTTP ${res.status} and no JSON body.`);
    }
    const b = body as { ok?: boolean; value?: unknown; error?: unknown };
    if (b.ok === true) return b.value as T;
    const msg = typeof b.error === 'string' && b.error ? b.error : `The lab server refused ${method} (HTTP ${res.status}).`;
    throw new LabCallError(msg);
  }

  async function upload<T>(name: string, bytes: Uint8Array): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/upload?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes as BodyInit });
    } catch (e) {
      throw new LabCallError(`The lab server at ${base} did not take the upload of ${name} (${e instanceof Error ? e.message : String(e)}); is \`sva-lab serve\` still running?`);
    }
    let body: { ok?: boolean; value?: unknown; error?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new LabCallError(`The lab server answered the upload of ${name} with HTTP ${res.status} and no JSON body.`);
    }
    if (body.ok === true) return body.value as T;
    throw new LabCallError(typeof body.error === 'string' && body.error ? body.error : `The lab server refused the upload of ${name} (HTTP ${res.status}).`);
  }

  const listeners = new Set<(e: LabEvent) => void>();
  let source: EventSource | null = null;

  function open(): void {
    if (source || !ES) return;
    source = new ES(`${base}/api/events`);
    source.onmessage = (m: MessageEvent) => {
      let ev: LabEvent;
      try {
        ev = JSON.parse(String(m.data)) as LabEvent;
      } catch {
        return; // a malformed line is not an event; the stream goes on
      }
      for (const l of [...listeners]) l(ev);
    };
  }

  // Every request/response method (the contract's LAB_METHODS) as a POST of its arguments, in order.
  const methods = Object.fromEntries(LAB_METHODS.map((name) => [name, (...args: unknown[]) => call(name, args)])) as unknown as Omit<LabApi, 'onEvent'>;

  return {
    ...methods,
    // A trace file's bytes go as the raw body of POST /api/upload (the server streams them to disk).
    importTrace: (async (file: { name: string; bytesBase64?: string; path?: string }) => {
      if (file.bytesBase64 === undefined) return call('importTrace', [file]);
      const bin = atob(file.bytesBase64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return upload(file.name, bytes);
    }) as LabApi['importTrace'],
    onEvent(cb) {
      listeners.add(cb);
      open();
      return () => {
        listeners.delete(cb);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}
