import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../main/contract';
import { createHttpLab } from '../../../renderer/src/api/httpLab';
import { pickLab } from '../../../renderer/src/api/lab';
import { createFakeLab } from '../fakeLab';

class FakeEventSource {
  static last: FakeEventSource | null = null;
  onmessage: ((m: MessageEvent) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  close(): void {
    this.closed = true;
  }
  send(data: string): void {
    this.onmessage?.({ data } as MessageEvent);
  }
}

describe('HTTP LabApi client', () => {
  it('posts {args} to /api/<method> and returns the value', async () => {
    const seen: { url: string; body: unknown }[] = [];
    const api = createHttpLab({
      baseUrl: 'http://127.0.0.1:5183/',
      fetch: async (url, init) => {
        seen.push({ url: String(url), body: JSON.parse(String(init?.body)) });
        return new Response(JSON.stringify({ ok: true, value: { fromNs: 0, toNs: 10, bucketNs: 1, tracks: [] } }));
      },
    });
    const w = await api.window('run.sqlite', 0, 10, 512);
    expect(w.toNs).toBe(10);
    expect(seen).toEqual([{ url: 'http://127.0.0.1:5183/api/window', body: { args: ['run.sqlite', 0, 10, 512] } }]);
  });

  it("throws the server's one-sentence error", async () => {
    const api = createHttpLab({
      baseUrl: 'http://x',
      fetch: async () => new Response(JSON.stringify({ ok: false, error: "There is no run 'nope.sqlite' in the archive." }), { status: 404 }),
    });
    await expect(api.openRun('nope.sqlite')).rejects.toThrow("There is no run 'nope.sqlite' in the archive.");
  });

  it('says which server did not answer when the connection fails', async () => {
    const api = createHttpLab({ baseUrl: 'http://127.0.0.1:9', fetch: async () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(api.listRuns()).rejects.toThrow(/127\.0\.0\.1:9 did not answer listRuns.*sva-lab serve/);
  });

  it('shares one EventSource between subscribers and closes it with the last', () => {
    const api = createHttpLab({ baseUrl: 'http://x', fetch: fetch, EventSource: FakeEventSource as unknown as new (url: string) => EventSource });
    const a: LabEvent[] = [];
    const b: LabEvent[] = [];
    const ua = api.onEvent((e) => a.push(e));
    const ub = api.onEvent((e) => b.push(e));
    const es = FakeEventSource.last;
    expect(es?.url).toBe('http://x/api/events');
    es?.send(JSON.stringify({ type: 'archive-changed' }));
    es?.send('not json');
    expect(a).toEqual([{ type: 'archive-changed' }]);
    expect(b).toEqual([{ type: 'archive-changed' }]);
    ua();
    expect(es?.closed).toBe(false);
    ub();
    expect(es?.closed).toBe(true);
  });
});

describe('pickLab', () => {
  it("uses Electron's window.lab when the preload put it there, else HTTP to this page's origin", () => {
    const fake = createFakeLab();
    expect(pickLab({ lab: fake, location: { origin: 'http://127.0.0.1:1' } as Location })).toBe(fake);
    const http = pickLab({ lab: undefined, location: { origin: 'http://127.0.0.1:1' } as Location });
    expect(http).not.toBe(fake);
    expect(typeof http.window).toBe('function');
  });
});
