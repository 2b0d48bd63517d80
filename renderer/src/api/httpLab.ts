import type { LabApi, LabEvent, LabMethod } from '../../../main/contract';

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

  /** A LabApi method as a POST of its arguments, in order. */
  const m = <K extends LabMethod>(name: K) => ((...args: unknown[]) => call(name, args)) as unknown as LabApi[K];

  return {
    catalog: m('catalog'),
    listRuns: m('listRuns'),
    startRun: m('startRun'),
    cancelRun: m('cancelRun'),
    validateRun: m('validateRun'),
    openRun: m('openRun'),
    window: m('window'),
    state: m('state'),
    events: m('events'),
    stepEvent: m('stepEvent'),
    causeChain: m('causeChain'),
    importTrace: m('importTrace'),
    deleteRun: m('deleteRun'),
    compareRuns: m('compareRuns'),
    findEvent: m('findEvent'),
    startPair: m('startPair'),
    verifyRun: m('verifyRun'),
    listAnnotations: m('listAnnotations'),
    addAnnotation: m('addAnnotation'),
    deleteAnnotation: m('deleteAnnotation'),
    exportRun: m('exportRun'),
    sweepPresets: m('sweepPresets'),
    listSweeps: m('listSweeps'),
    startSweep: m('startSweep'),
    getSweep: m('getSweep'),
    cancelSweep: m('cancelSweep'),
    sweepCsv: m('sweepCsv'),
    searchEvents: m('searchEvents'),
    aggregateArea: m('aggregateArea'),
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
