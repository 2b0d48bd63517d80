import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../main/lab/lab';
import { startServer } from '../../main/web/server';
import { recordInline, tempDir } from '../trace/helpers';

// Serve mode's limits: the session token, streamed uploads with a size bound (413), a bound on
// uploads at once (429), and sentences for malformed requests.
const home = tempDir('sva-serve-home-');
const renderer = tempDir('sva-serve-renderer-');
fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>SVA Lab</title>');
const lab = createLab(home);
const TOKEN = 'test-token-0123456789abcdef';
let srv: Awaited<ReturnType<typeof startServer>>;
let base = '';
const trace = path.join(tempDir(), 'upload-me.sqlite');

beforeAll(async () => {
  recordInline(trace, 'sigkill-during-dma', { mmExit: true }, 2);
  srv = await startServer(lab, { port: 0, rendererDir: renderer, token: TOKEN, maxUploadBytes: fs.statSync(trace).size + 1024 });
  base = new URL(srv.url).origin;
});
afterAll(async () => {
  await srv.close();
  await lab.close();
});

const auth = { 'x-sva-lab-token': TOKEN };
const post = (method: string, args: unknown[], headers: Record<string, string> = auth) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ args }) });

describe('serve', () => {
  it('prints a URL with the session token, and refuses requests without it', async () => {
    expect(srv.url).toBe(`${base}/?token=${TOKEN}`);
    const r = await post('listRuns', [], {});
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toMatch(/needs its session token/);
    expect((await post('listRuns', [], { 'x-sva-lab-token': `${TOKEN}x` })).status).toBe(403);
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await post('listRuns', [])).status).toBe(200);
  });

  it('turns the token in the URL into an HttpOnly cookie for the page', async () => {
    const r = await fetch(srv.url, { redirect: 'manual' });
    expect(r.status).toBe(302);
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(r.headers.get('location')).toBe('/');
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('SVA Lab');
  });

  it('answers GET /% and a malformed body with one sentence', async () => {
    const r = await fetch(`${base}/%`, { headers: auth });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/is not valid: a % must start an escape/);
    const b = await fetch(`${base}/api/listRuns`, { method: 'POST', headers: auth, body: '{nope' });
    expect(b.status).toBe(400);
    expect(((await b.json()) as { error: string }).error).toMatch(/must be JSON/);
    const a = await post('window', ['x.sqlite', 'zero', 1, 2]);
    expect(a.status).toBe(400);
    expect(((await a.json()) as { error: string }).error).toMatch(/^Invalid arguments to window/);
  });

  it('streams an upload to disk and imports it; a larger one is answered 413', async () => {
    const bytes = fs.readFileSync(trace);
    const r = await fetch(`${base}/api/upload?name=upload-me.sqlite`, { method: 'POST', headers: auth, body: bytes });
    const body = (await r.json()) as { ok: boolean; value: { id: string; events: number } };
    expect(body.ok).toBe(true);
    expect(body.value.id).toBe('upload-me.sqlite');
    expect(fs.existsSync(path.join(home, 'upload-me.sqlite'))).toBe(true);
    const big = Buffer.concat([bytes, Buffer.alloc(4096)]);
    const t = await fetch(`${base}/api/upload?name=big.sqlite`, { method: 'POST', headers: auth, body: big });
    expect(t.status).toBe(413);
    expect(((await t.json()) as { error: string }).error).toMatch(/big\.sqlite' is \d+ bytes; this server takes trace files of at most/);
    const junk = await fetch(`${base}/api/upload?name=junk.sqlite`, { method: 'POST', headers: auth, body: 'not a trace at all' });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as { error: string }).error).toMatch(/^'junk\.sqlite' is not an SVA Lab trace/);
  });

  it('bounds uploads at once with 429 and a sentence', async () => {
    // Two uploads that never finish hold both slots; the third is refused at once.
    const hold = () => {
      const ac = new AbortController();
      const stream = new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(16)) });
      const p = fetch(`${base}/api/upload?name=slow.sqlite`, { method: 'POST', headers: auth, body: stream, duplex: 'half', signal: ac.signal } as RequestInit).catch(() => null);
      return { ac, p };
    };
    const a = hold();
    const b = hold();
    await new Promise((r) => setTimeout(r, 300));
    const c = await fetch(`${base}/api/upload?name=third.sqlite`, { method: 'POST', headers: auth, body: 'x' });
    expect(c.status).toBe(429);
    expect(((await c.json()) as { error: string }).error).toMatch(/uploads are in progress/);
    a.ac.abort();
    b.ac.abort();
    await Promise.all([a.p, b.p]);
  });
});
