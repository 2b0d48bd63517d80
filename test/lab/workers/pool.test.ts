import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLab } from '../../../main/lab/lab';
import { WorkerPool, closeSharedPool, sharedPool } from '../../../main/lab/workers/pool';
import { startWorker } from '../../../main/lab/workers/start';
import { tempDir } from '../../trace/helpers';

const dir = tempDir('sva-pool-');
const svc = createLab(dir);

afterAll(async () => {
  await closeSharedPool();
});

describe('warm worker pool', () => {
  it('reuses the same sim and writer workers run after run, idle between runs', async () => {
    await closeSharedPool();
    await svc.record({ scenario: 'oom-bound-victim', out: path.join(dir, 'a.sqlite') });
    const pool = sharedPool();
    expect(pool.size).toBe(2);
    expect([pool.idleCount('sim_worker'), pool.idleCount('writer_worker')]).toEqual([1, 1]);
    const b = await svc.record({ scenario: 'oom-bound-victim', params: { mmExit: false }, out: path.join(dir, 'b.sqlite') });
    expect(b.status).toBe('complete');
    expect(sharedPool()).toBe(pool);
    expect(pool.size).toBe(2);
  });

  it('discards the workers of a crashed run and starts new ones for the next', async () => {
    const pool = sharedPool();
    const r = await svc.record({ scenario: 'stress', params: { events: 100_000 }, out: path.join(dir, 'crash.sqlite') }, {}, { crashAfterEvents: 20_000 });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited with code 70/);
    const next = await svc.record({ scenario: 'oom-bound-victim', out: path.join(dir, 'after.sqlite') });
    expect(next.status).toBe('complete');
    expect([pool.idleCount('sim_worker'), pool.idleCount('writer_worker')]).toEqual([1, 1]);
  });

  it('keeps at most maxIdle workers of a kind, and a closed pool ends them all', async () => {
    const pool = new WorkerPool(1);
    const job = (name: string) =>
      startWorker(
        { mode: 'record', scenario: 'oom-bound-victim', params: { mmExit: true, dmaStopMs: 10 }, seed: 1, file: path.join(dir, name), appVersion: 'test', created: new Date(0).toISOString(), progressEvery: 1 << 20 },
        undefined,
        pool,
      ).done;
    const [x, y] = await Promise.all([job('p1.sqlite'), job('p2.sqlite')]);
    expect([x.summary.status, y.summary.status]).toEqual(['complete', 'complete']);
    expect([pool.idleCount('sim_worker'), pool.idleCount('writer_worker')]).toEqual([1, 1]);
    await pool.close();
    expect(pool.size).toBe(0);
  });
});
