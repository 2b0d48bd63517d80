import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../main/lab/errors';
import { createLab } from '../../main/lab/lab';
import type { RunResult } from '../../main/lab/runs';
import { runScenario } from '../../main/sim/run';
import { TraceReader } from '../../main/trace/reader';
import { tempDir } from '../trace/helpers';

const home = tempDir('sva-lab-home-');
const svc = createLab(home);
let dma: RunResult;

beforeAll(async () => {
  dma = await svc.record({ scenario: 'sigkill-during-dma', params: { mmExit: true } });
});

/** Rows in the events table and the count meta claims: a readable trace has them equal. */
function counts(file: string): { rows: number; meta: number; status: string } {
  const r = new TraceReader(file);
  const out = { rows: r.countRows(), meta: r.meta().events, status: r.meta().status };
  r.close();
  return out;
}

describe('run in the sim worker', () => {
  it('records into the archive, with the same summary as the inline run', () => {
    const inline = runScenario('sigkill-during-dma', { mmExit: true }, 1);
    expect(path.dirname(dma.trace)).toBe(home);
    expect(fs.existsSync(dma.trace)).toBe(true);
    const { trace, ...summary } = dma;
    expect(trace).toMatch(/sigkill-during-dma-mm_exit-s1\.sqlite$/);
    expect(summary).toEqual(inline);
    expect(counts(dma.trace)).toEqual({ rows: inline.events, meta: inline.events, status: 'complete' });
  });

  it('writes to --out instead, and refuses an existing --out', async () => {
    const out = path.join(tempDir(), 'x.sqlite');
    const r = await svc.record({ scenario: 'oom-bound-victim', out });
    expect(r.trace).toBe(out);
    expect(counts(out).status).toBe('complete');
    await expect(svc.record({ scenario: 'oom-bound-victim', out })).rejects.toThrow(/already exists/);
  });

  it('refuses bad scenarios and parameters with one sentence', async () => {
    await expect(svc.record({ scenario: 'nope' })).rejects.toThrow(UserError);
    await expect(svc.record({ scenario: 'stress', params: { events: 'many' } })).rejects.toThrow(/Parameter 'events'/);
  });

  it('reports progress and cancels: the trace stays readable and is marked cancelled', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const r = await svc.record({ scenario: 'stress', params: { events: 3_000_000 } }, {
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.events);
        if (p.events >= 40_000) ac.abort();
      },
    }, { progressEvery: 8192 });
    expect(seen.length).toBeGreaterThan(0);
    expect(r.status).toBe('cancelled');
    expect(r.events).toBeLessThan(3_000_000);
    const c = counts(r.trace);
    expect(c).toEqual({ rows: r.events, meta: r.events, status: 'cancelled' });
    const v = await svc.verifyRun(svc.runOf(r.trace));
    expect(v.match).toBe(true);
  });

  it('keeps what was written when the worker dies, and marks the trace failed', async () => {
    const r = await svc.record({ scenario: 'stress', params: { events: 200_000 } }, {}, { crashAfterEvents: 50_000 });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited with code 70/);
    const c = counts(r.trace);
    expect(c.status).toBe('failed');
    expect(c.rows).toBe(c.meta);
    // Batches are committed whole: what is there is a prefix of the real run.
    expect(c.rows).toBeGreaterThan(0);
    expect(c.rows).toBeLessThanOrEqual(50_000);
    expect(fs.existsSync(`${r.trace}-wal`)).toBe(false);
    const s = await svc.summary(svc.runOf(r.trace));
    expect(s.events).toBe(c.rows);
    expect((await svc.verifyRun(svc.runOf(r.trace))).match).toBe(true);
  });

  it('keeps what was written when the worker is killed mid-run', async () => {
    let handle: { terminate(): Promise<void> } | null = null;
    let killed = false;
    const r = await svc.record({ scenario: 'stress', params: { events: 3_000_000 } }, {
      onProgress: (p) => {
        // The sim runs at most 4 batches (16k events each) ahead of the writer: some are committed by now.
        if (p.events >= 150_000 && !killed && handle) {
          killed = true;
          void handle.terminate();
        }
      },
    }, { progressEvery: 8192, onWorker: (h) => (handle = h) });
    expect(killed).toBe(true);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited/);
    const c = counts(r.trace);
    expect(c.rows).toBe(c.meta);
    expect(c.rows).toBeGreaterThan(0);
    expect(c.status).toBe('failed');
  });
});

