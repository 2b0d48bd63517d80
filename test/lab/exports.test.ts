import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOAD_MAX_BYTES, download } from '../../main/lab/exports';
import { UserError } from '../../main/lab/errors';
import { fingerprint, recordInline, tempDir } from '../trace/helpers';

// A download crosses IPC and HTTP as one base64 JSON string: over the limit it is refused with a
// sentence that says how big it is and what to do instead, the trace is untouched and no
// temporary export is left behind (issue 14: "exports of traces over ~400 MB fail ... after
// blocking the server ~30 s").
const dir = tempDir('sva-lab-download-');
const trace = path.join(dir, 'run.sqlite');
const savedTmp = process.env.TMPDIR;

beforeAll(() => {
  recordInline(trace, 'sigkill-during-dma', { mmExit: true }, 5);
});

afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return (e as Error).message;
}

describe('download size limit', () => {
  it('is 256 MiB', () => {
    expect(DOWNLOAD_MAX_BYTES).toBe(256 * 2 ** 20);
  });

  it('refuses a SQLite trace over the limit without reading it, naming its size and sva-lab export', async () => {
    // A sparse copy 300 MiB long: the size is what is checked, before any read.
    const big = path.join(dir, 'big.sqlite');
    fs.copyFileSync(trace, big);
    fs.truncateSync(big, 300 * 2 ** 20);
    const before = fs.statSync(big);
    const msg = await refusal(download(big, 'big.sqlite', 'sqlite'));
    expect(msg).toMatch(/^'big\.sqlite' is too large to download here \(300 MiB as sqlite; at most 256 MiB cross the window\): export it with `sva-lab export .*big\.sqlite --format csv --out FILE` or copy the trace file\.$/);
    const after = fs.statSync(big);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it('refuses an export over the limit after writing it, and leaves no temporary file', async () => {
    const tmp = tempDir('sva-lab-download-tmp-');
    process.env.TMPDIR = tmp;
    const fp = fingerprint(trace);
    for (const format of ['chrome-json', 'csv'] as const) {
      const msg = await refusal(download(trace, 'run.sqlite', format, 4096));
      expect(msg).toContain(`'run.sqlite' is too large to download here (`);
      expect(msg).toContain(`MiB as ${format}; at most 1 MiB cross the window): export it with \`sva-lab export ${trace} --format ${format} --out FILE\``);
    }
    // (the reader worker's TypeScript loader may keep its cache here: only our exports count)
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('sva-lab-export-'))).toEqual([]);
    expect(fingerprint(trace)).toBe(fp);
  });

  it('under the limit gives the bytes the file holds', async () => {
    const d = await download(trace, 'run.sqlite', 'sqlite');
    expect(Buffer.from(d.bytesBase64, 'base64').equals(fs.readFileSync(trace))).toBe(true);
    const j = await download(trace, 'run.sqlite', 'chrome-json');
    expect(j.name).toBe('run.json');
    expect(JSON.parse(Buffer.from(j.bytesBase64, 'base64').toString('utf8')).traceEvents.length).toBeGreaterThan(10);
  });
});
