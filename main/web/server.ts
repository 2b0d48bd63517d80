import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LabApi, LabEvent } from '../contract';
import { BusyError, callLab, CSP, isLabMethod, UserError } from '../lab/index';

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

/** A LabApi call's JSON body is held in memory: at most this many bytes (trace files go through POST /api/upload, streamed to disk). */
const MAX_JSON_BODY = 64 * 1024 * 1024;
/** Default bound of an uploaded trace file (bytes). */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;
/** Uploads received at once; more are answered 429. */
const MAX_UPLOADS = 2;
/** The header a script sends the session token in (the page gets a cookie instead). */
export const TOKEN_HEADER = 'x-sva-lab-token';

export interface ServeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** The session token (default: a random one); every request must carry it. */
  token?: string;
  /** Bound of an uploaded trace file in bytes (default MAX_UPLOAD_BYTES). */
  maxUploadBytes?: number;
}

/** An HTTP answer with a status: 413 (too large), 429 (too many at once)... */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serve mode: the built renderer plus the same LabApi over HTTP, bound to 127.0.0.1 only.
 * A thin adapter: each call's arguments are checked and the lab called (callLab), errors become one sentence.
 * Requests from another origin are refused, so a web page the user visits cannot drive the lab;
 * every request must carry the session token (as Jupyter does: the URL printed by `serve` has it
 * as `?token=`, which sets a cookie for the page; scripts send the X-SVA-Lab-Token header), so
 * another user of the machine cannot drive it either. Uploads stream to disk with a size bound
 * (413) and a bound on how many at once (429); the lab's own bounds on runs and sweeps answer 429.
 */
export async function startServer(api: LabApi, opts: ServeOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const clients = new Set<ServerResponse>();
  const unsubscribe = api.onEvent((e: LabEvent) => {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of clients) c.write(line);
  });
  let origin = '';
  const root = resolve(opts.rendererDir);
  const token = opts.token ?? randomBytes(24).toString('hex');
  const tokenBuf = Buffer.from(token);
  const maxUpload = opts.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  let uploads = 0;
  let cookieName = '';
  const same = (t: string | undefined | null) => {
    if (!t) return false;
    const b = Buffer.from(t);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const cookieToken = (req: IncomingMessage): string | null => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === cookieName) return v.join('=');
    }
    return null;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof HttpError) sendJson(res, e.status, { ok: false, error: e.message });
      else if (e instanceof BusyError) sendJson(res, 429, { ok: false, error: e.message });
      else if (e instanceof UserError) sendJson(res, 400, { ok: false, error: e.message });
      else sendJson(res, 500, { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      sendJson(res, 400, { ok: false, error: `The request path '${String(req.url).slice(0, 100)}' is not a valid URL path.` });
      return;
    }
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
    // The session token: in the header (scripts), the cookie (the page), or ?token= (the printed URL, once).
    const given = req.headers[TOKEN_HEADER];
    const fromQuery = url.searchParams.get('token');
    if (!same(typeof given === 'string' ? given : null) && !same(cookieToken(req)) && !same(fromQuery)) {
      const msg = `This lab server needs its session token: open the URL \`sva-lab serve\` printed (${origin}/?token=…), or send the ${TOKEN_HEADER} header.`;
      if (url.pathname.startsWith('/api/')) sendJson(res, 403, { ok: false, error: msg });
      else res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${msg}\n`);
      return;
    }
    if (fromQuery !== null && same(fromQuery) && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      // The page keeps the token in a cookie (HttpOnly: scripts cannot read it) and drops it from the address bar.
      url.searchParams.delete('token');
      res.writeHead(302, { 'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`, location: `${url.pathname}${url.search}`, 'cache-control': 'no-store' }).end();
      return;
    }
    if (url.pathname === '/api/upload') {
      if (req.method !== 'POST') {
        sendJson(res, 405, { ok: false, error: 'An upload is a POST of the trace file\'s bytes to /api/upload?name=<file name>.' });
        return;
      }
      const item = await upload(req, url.searchParams.get('name') ?? 'trace.sqlite');
      sendJson(res, 200, { ok: true, value: item });
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
      const text = await readBody(req, MAX_JSON_BODY);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        sendJson(res, 400, { ok: false, error: 'The request body must be JSON of the form {"args": [...]}.' });
        return;
      }
      const value = await callLab(api, method, (body as { args?: unknown })?.args ?? []);
      sendJson(res, 200, { ok: true, value: value ?? null });
      return;
    }
    serveStatic(url.pathname, res);
  }

  /** Stream an uploaded trace to a temporary file (at most maxUpload bytes), then import it. */
  async function upload(req: IncomingMessage, name: string): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxUpload) {
      req.resume();
      throw new HttpError(413, `The upload '${name}' is ${declared} bytes; this server takes trace files of at most ${maxUpload} bytes (sva-lab serve --max-upload-mib).`);
    }
    if (uploads >= MAX_UPLOADS) {
      req.resume();
      throw new HttpError(429, `${uploads} uploads are in progress, the most this server takes at once; upload '${name}' when one has finished.`);
    }
    uploads++;
    const dir = mkdtempSync(join(tmpdir(), 'sva-lab-upload-'));
    const safe = basename(name).replace(/[^A-Za-z0-9._-]/g, '_') || 'trace.sqlite';
    const file = join(dir, safe);
    try {
      let n = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          n += chunk.length;
          if (n > maxUpload) cb(new HttpError(413, `The upload '${name}' is larger than ${maxUpload} bytes, the most this server takes (sva-lab serve --max-upload-mib).`));
          else cb(null, chunk);
        },
      });
      try {
        await pipeline(req, limit, createWriteStream(file, { flags: 'wx' }));
      } catch (e) {
        if (e instanceof HttpError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC') throw new HttpError(507, `The disk is full: the upload '${name}' could not be stored; free some space and try again.`);
        throw new HttpError(400, `The upload '${name}' did not arrive whole (${e instanceof Error ? e.message : String(e)}).`);
      }
      try {
        return await api.importTrace({ name, path: file });
      } catch (e) {
        // The message names the temporary copy; name the user's file instead.
        if (e instanceof UserError) throw new (e.constructor as typeof UserError)(e.message.split(file).join(name));
        throw e;
      }
    } finally {
      uploads--;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`The path '${pathname.slice(0, 100)}' is not valid: a % must start an escape such as %20.\n`);
      return;
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
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
  // Cookies are not kept apart by port: the name is.
  cookieName = `sva_lab_token_${port}`;
  return {
    server,
    url: `${origin}/?token=${token}`,
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

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > max) {
      req.resume();
      fail(new HttpError(413, `The request body is ${declared} bytes; a LabApi call takes at most ${max} (trace files go through POST /api/upload).`));
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n > max) {
        over = true;
        fail(new HttpError(413, `The request body is larger than ${max} bytes, the most a LabApi call takes (trace files go through POST /api/upload).`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
