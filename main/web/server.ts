import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { LabApi, LabEvent } from '../contract';
import { callLab, CSP, isLabMethod, UserError } from '../lab/index';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_BODY = 512 * 1024 * 1024;

export interface ServeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
}

/**
 * Serve mode: the built renderer plus the same LabApi over HTTP, bound to 127.0.0.1 only.
 * A thin adapter: each call's arguments are checked and the lab called (callLab), errors become one sentence.
 * Requests from another origin are refused, so a web page the user visits cannot drive the lab.
 */
export async function startServer(api: LabApi, opts: ServeOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const clients = new Set<ServerResponse>();
  const unsubscribe = api.onEvent((e: LabEvent) => {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of clients) c.write(line);
  });
  let origin = '';
  const root = resolve(opts.rendererDir);

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    // Browsers send Origin on cross-site requests and on every POST; a foreign one is refused.
    const o = req.headers.origin;
    if (o !== undefined && o !== origin) {
      sendJson(res, 403, { ok: false, error: `Requests from origin ${o} are refused; open ${origin} instead.` });
      return;
    }
    const host = req.headers.host;
    if (host !== undefined && host !== new URL(origin).host) {
      sendJson(res, 403, { ok: false, error: `Host ${host} is refused; this server answers on ${new URL(origin).host} only.` });
      return;
    }
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') {
        sendJson(res, 405, { ok: false, error: 'LabApi calls are POST requests with a JSON body {"args": [...]}.' });
        return;
      }
      const method = url.pathname.slice('/api/'.length);
      if (!isLabMethod(method)) {
        sendJson(res, 404, { ok: false, error: `Unknown LabApi method '${method}'.` });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        sendJson(res, 400, { ok: false, error: 'The request body must be JSON of the form {"args": [...]}.' });
        return;
      }
      try {
        const value = await callLab(api, method, (body as { args?: unknown })?.args ?? []);
        sendJson(res, 200, { ok: true, value: value ?? null });
      } catch (e) {
        if (e instanceof UserError) sendJson(res, 400, { ok: false, error: e.message });
        else throw e;
      }
      return;
    }
    serveStatic(url.pathname, res);
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
    const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = join(root, rel);
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(404).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`The renderer is not built: ${join(root, 'index.html')} is missing; run \`npm run build\`.`);
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    server,
    url: `${origin}/`,
    close: async () => {
      unsubscribe();
      for (const c of clients) c.end();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

function sendJson(res: ServerResponse, status: number, v: unknown): void {
  const s = JSON.stringify(v);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(s);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        fail(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
