import { describe, expect, it } from 'vitest';
import { KINDS, TS_X } from '../../main/sim/events';
import { runScenario } from '../../main/sim/run';
import { RECENTLY_FREED, StateFold, type FoldSnapshot } from '../../main/sim/state';
import { run } from './helpers';

/**
 * The state fold keeps what the kernel still has (model 5): exited tasks, idle locks and, past the
 * newest RECENTLY_FREED of each, freed mm_structs and uacce queues leave it, so a long run's
 * checkpoints stop growing with every process it has had.
 */
describe('state fold: what exists, not everything that existed', () => {
  it('lists every live mm and queue and only the newest freed ones, through a long stress run', () => {
    const fold = new StateFold();
    // What exists, followed from the events independently of the fold.
    const liveMms = new Set<number>();
    const freedMms: number[] = [];
    const seenDevs = new Set<number>();
    const freedDevs: number[] = [];
    const hw = new Set<number>();
    const sizes: number[] = [];
    let checks = 0;
    const check = () => {
      const s = fold.snapshot();
      const lastFreed = (l: number[]) => l.slice(-RECENTLY_FREED);
      expect(new Set(s.mms.map(([id]) => id))).toEqual(new Set([...liveMms, ...lastFreed(freedMms)]));
      const gone = new Set(freedDevs.slice(0, -RECENTLY_FREED));
      expect(new Set(s.dma.map(([id]) => id))).toEqual(new Set([...seenDevs].filter((d) => !gone.has(d))));
      expect(s.tasks.filter(([id, t]) => t.state === TS_X || hw.has(id))).toEqual([]);
      expect(s.locks.filter(([, l]) => l.holders.length === 0 && l.waiters.length === 0)).toEqual([]);
      sizes.push(JSON.stringify(s).length);
      checks++;
    };
    const kind = (name: string) => KINDS.findIndex((k) => k.name === name);
    const [mmNew, mmFree, dmaState, uacceQ, qFree, taskNew] = ['mm_new', 'mm_free', 'dma_state', 'uacce_q', 'uacce_q_free', 'task_new'].map(kind);
    runScenario('stress', { events: 300_000, processes: 8, meanLifeMs: 4 }, 3, {
      sinks: [
        fold,
        {
          actor() {},
          event(seq, _t, k, actor, _c, _a, _b, args) {
            if (k === mmNew) liveMms.add(actor);
            else if (k === mmFree) {
              liveMms.delete(actor);
              freedMms.push(actor);
            } else if (k === dmaState || k === uacceQ) seenDevs.add(actor);
            else if (k === qFree) freedDevs.push(actor);
            else if (k === taskNew && args?.includes('"hw"')) hw.add(actor);
            if (seq % 50_000 === 0) check();
          },
        },
      ],
    });
    check();
    expect(checks).toBe(7);
    // The run had far more processes than the fold keeps: retiring was exercised.
    expect(freedMms.length).toBeGreaterThan(4 * RECENTLY_FREED);
    expect(freedDevs.length).toBeGreaterThan(4 * RECENTLY_FREED);
    // Bounded: the state at the end is no bigger than twice the state a sixth of the way in.
    expect(sizes[sizes.length - 1]).toBeLessThan(2 * sizes[0]);
  });

  it('frees a uacce queue once, after its unbind, inside uacce_fops_release; the view still lists it right after', () => {
    const { ev } = run('close-then-exit', {}, 5);
    const frees = ev.of('uacce_q_free');
    const releases = ev.fn('uacce_fops_release', 'fn_end');
    expect(frees.length).toBeGreaterThan(0);
    expect(frees.length).toBe(releases.length);
    for (const f of frees) {
      const end = releases.find((r) => r.seq > f.seq);
      const unbind = ev.fn('iommu_sva_unbind_device', 'fn_end').filter((u) => u.seq < f.seq);
      expect(end, 'uacce_fops_release returns after the kfree').toBeDefined();
      expect(unbind.length, 'the queue is unbound before it is freed').toBeGreaterThan(0);
    }
    const fold = new StateFold();
    runScenario('close-then-exit', {}, 5, { sinks: [fold] });
    const dev = fold.view().devices.find((d) => d.name === frees[0].actor);
    expect(dev?.queue).toBe('ZOMBIE');
  });

  it('still lists the mm_struct a small scenario frees (oom-bound-victim, quiet design)', () => {
    const fold = new StateFold();
    runScenario('oom-bound-victim', { mmExit: false }, 11, { sinks: [fold] });
    const v = fold.view();
    expect(v.mms.some((m) => m.structFreed)).toBe(true);
  });

  it('restores a checkpoint written before model 5 (no freed lists, hw tasks and idle locks in it) to the same view', () => {
    const old: FoldSnapshot = {
      t: 10,
      seq: 5,
      tasks: [
        [1, { pid: 1, type: 'user', state: 1, on: 'user: computing' }],
        [2, { pid: 2, type: 'hw', state: 0, on: null }],
      ],
      mms: [[3, { users: 0, count: 0, flags: [], rss: 0, locked: 0, freed: true, structFreed: true }]],
      pasids: [],
      entries: [],
      dma: [[2, { state: 0, pasid: 0, q: 2 }]],
      queues: [],
      locks: [
        [4, { holders: [], waiters: [] }],
        [5, { holders: [1], waiters: [] }],
      ],
      freePages: 100,
      victims: [],
    };
    const fold = new StateFold({ names: new Map([[1, 'p:1'], [2, 'dma q'], [3, 'mm p:1'], [4, 'idle'], [5, 'held']]), tracks: new Map() });
    fold.restore(old);
    const v = fold.view();
    expect(v.tasks.map((t) => t.name)).toEqual(['p:1']);
    expect(v.mms.map((m) => [m.name, m.structFreed])).toEqual([['mm p:1', true]]);
    expect(v.devices.map((d) => [d.name, d.queue])).toEqual([['dma q', 'ZOMBIE']]);
    expect(v.locks.map((l) => l.name)).toEqual(['held']);
    // The restored fold carries on retiring from there (its freed lists start empty).
    expect(fold.snapshot().freed).toEqual({ mms: [], devs: [] });
  });
});
