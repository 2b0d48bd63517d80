import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabEvent, RunId } from '../../main/contract';
import { UserError } from '../../main/lab/errors';
import { remoteLab } from '../../main/lab/remote';
import { tempDir } from '../trace/helpers';

// The lab in a worker thread, as Electron's main process uses it: calls and events cross as
// messages, user errors stay user errors, and the hosting thread's event loop stays free while
// a long call runs.
const home = tempDir('sva-remote-');
const lab = remoteLab(home);
afterAll(() => lab.close());

function finished(id: RunId): Promise<LabEvent> {
  return new Promise((resolve) => {
    const off = lab.onEvent((e) => {
      if (e.type === 'run-finished' && e.runId === id) {
        off();
        resolve(e);
      }
    });
  });
}

describe('remote lab', () => {
  it('answers calls, forwards events and keeps user errors as one sentence', async () => {
    const cat = await lab.catalog();
    expect(cat.scenarios.some((s) => s.id === 'stress')).toBe(true);
    const { runId } = await lab.startRun({ scenario: 'stress', params: { events: 300_000 }, seed: 1 });
    await finished(runId);
    const info = await lab.openRun(runId);
    expect(info.status).toBe('complete');
    expect(info.summary.events).toBeGreaterThan(250_000);
    const e = await lab.openRun('nope.sqlite').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/There is no run 'nope\.sqlite' in the archive/);
    expect(path.basename(runId)).toBe(runId);
  });

  /** The longest the calling thread's event loop was held while `fn` ran, and how long `fn` took. */
  async function pauses(fn: () => Promise<unknown>): Promise<{ worst: number; took: number }> {
    let worst = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    await fn();
    const took = performance.now() - t0;
    clearInterval(tick);
    worst = Math.max(worst, performance.now() - last);
    return { worst, took };
  }

  it('leaves the hosting thread free while a long call runs (an in-thread lab holds it throughout)', async () => {
    const [a] = await lab.listRuns();
    // Comparing a run with itself reads both traces whole: long, all of it on the lab's thread.
    const work = (l: typeof lab) => async () => {
      await l.compareRuns(a.id, a.id);
      await l.window(a.id, 0, a.endTimeNs, 1600);
    };
    const remote = await pauses(work(lab));
    const { createLab } = await import('../../main/lab/lab');
    const local = createLab(home);
    const inThread = await pauses(work(local));
    await local.close();
    process.stderr.write(`remote lab: compare + window took ${Math.round(remote.took)} ms with the longest pause of the calling thread ${Math.round(remote.worst)} ms; in-thread ${Math.round(inThread.took)} ms holding it ${Math.round(inThread.worst)} ms\n`);
    expect(inThread.worst).toBeGreaterThan(inThread.took / 3);
    expect(remote.worst).toBeLessThan(Math.max(inThread.worst / 2, 60));
  });
});
