import { describe, expect, it } from 'vitest';
import { MS, run, S } from '../helpers';

describe('oom-bound-victim', () => {
  describe.each([3_000, 60_000])('mm_exit model, locked memory, DMA stop %i ms', (dmaStopMs) => {
    const { s, ev } = run('oom-bound-victim', { mmExit: true, dmaStopMs, lockedMemory: 1536 }, 11);

    it('the reaper sets MMF_OOM_SKIP within about a second of the kill', () => {
      expect(s.metrics.oomSkipSetNs).not.toBeNull();
      expect(s.metrics.oomSkipSetNs!).toBeLessThanOrEqual(1 * S);
    });

    it('release() lasts at least the DMA stop time, and the memory comes back only after it', () => {
      expect(s.metrics.releaseLatencyNs.count).toBe(1);
      expect(s.metrics.releaseLatencyNs.max!).toBeGreaterThanOrEqual(dmaStopMs * MS);
      expect(s.metrics.memoryFreedNs!).toBeGreaterThanOrEqual(s.metrics.releaseLatencyNs.max!);
    });

    it('kills at least one innocent process while the first victim\'s memory is pinned', () => {
      expect(s.metrics.innocentVictims).toBeGreaterThanOrEqual(1);
      expect(s.metrics.oomVictims).toBe(1 + s.metrics.innocentVictims);
      const kills = ev.of('oom_kill');
      const freed = ev.first('mm_freed', (e) => e.actor === `mm ${kills[0].args?.comm}:${kills[0].args?.pid}`)!;
      for (const k of kills.slice(1)) expect(k.t).toBeLessThan(freed.t);
      // The second kill comes only after MMF_OOM_SKIP: until then select_bad_process aborts.
      const skip = ev.first('mm_flag', (e) => e.a === 1)!;
      expect(kills[1].t).toBeGreaterThan(skip.t);
      expect(ev.of('oom_skip').length).toBeGreaterThan(0);
    });
  });

  it('if the reaper can never take mmap_lock, MMF_OOM_SKIP comes after reaperRetries x reaperIntervalMs and "unable to reap" is printed', () => {
    const { s, ev } = run('oom-bound-victim', { mmExit: true, dmaStopMs: 10_000, mmapLockHeldMs: 5_000 }, 3);
    expect(ev.of('reap_end').filter((e) => e.b === 0)).toHaveLength(10);
    expect(s.metrics.oomSkipSetNs!).toBeGreaterThanOrEqual(1000 * MS);
    expect(s.metrics.oomSkipSetNs!).toBeLessThan(1100 * MS);
    expect(ev.of('printk').some((e) => String(e.args?.msg).startsWith('oom_reaper: unable to reap pid:'))).toBe(true);
    expect(s.metrics.innocentVictims).toBeGreaterThanOrEqual(1);
  });

  it('reaperRetries and reaperIntervalMs shape the give-up time', () => {
    const { s } = run('oom-bound-victim', { mmExit: true, dmaStopMs: 10_000, mmapLockHeldMs: 5_000, reaperRetries: 4, reaperIntervalMs: 250 }, 3);
    expect(s.metrics.oomSkipSetNs!).toBeGreaterThanOrEqual(1000 * MS);
    expect(s.metrics.oomSkipSetNs!).toBeLessThan(1100 * MS);
  });

  describe.each([3_000, 300_000])('quiet model, DMA stop %i ms', (dmaStopMs) => {
    const { s } = run('oom-bound-victim', { mmExit: false, dmaStopMs, lockedMemory: 1536 }, 11);

    it('kills exactly one victim', () => {
      expect(s.metrics.oomVictims).toBe(1);
      expect(s.metrics.innocentVictims).toBe(0);
    });

    it('release() takes microseconds to milliseconds', () => {
      expect(s.metrics.releaseLatencyNs.count).toBe(1);
      expect(s.metrics.releaseLatencyNs.max!).toBeGreaterThanOrEqual(1000);
      expect(s.metrics.releaseLatencyNs.max!).toBeLessThan(1 * MS);
    });

    it('returns the memory at once: the unmap time, not the DMA stop time', () => {
      expect(s.metrics.memoryFreedNs!).toBeLessThan(200 * MS);
      expect(s.metrics.memoryFreedNs!).toBeLessThan(dmaStopMs * MS);
    });

    it('prints nothing about the device', () => {
      expect(s.metrics.faultsPrinted).toBe(0);
      expect(s.metrics.reportedErrors).toBe(0);
    });

    it('keeps the PASID until unbind, which waits for the DMA stop in the driver\'s release', () => {
      expect(s.metrics.pasidFreedNs!).toBeGreaterThanOrEqual(dmaStopMs * MS);
    });
  });

  it('with later kernels\' 2 s reaper delay MMF_OOM_SKIP waits for the delay', () => {
    const { s } = run('oom-bound-victim', { mmExit: true, dmaStopMs: 20_000, reaperDelayMs: 2000 }, 5);
    expect(s.metrics.oomSkipSetNs!).toBeGreaterThanOrEqual(2000 * MS);
    expect(s.metrics.oomSkipSetNs!).toBeLessThan(2500 * MS);
    expect(s.metrics.innocentVictims).toBeGreaterThanOrEqual(1);
  });
});

// What makes a victim innocent: a kill while an earlier victim still holds memory the reaper could
// not free (mm/oom_kill.c __oom_reap_task_mm skips VM_LOCKED; after MMF_OOM_SKIP
// select_bad_process no longer waits for that victim). Not merely a kill before its mm_freed.
describe('oom-bound-victim: innocent victims', () => {
  it.each([1, 5])('with no locked memory both designs kill the same victims and none is innocent (seed %i)', (seed) => {
    const a = run('oom-bound-victim', { mmExit: true, lockedMemory: 0, dmaStopMs: 60_000 }, seed);
    const b = run('oom-bound-victim', { mmExit: false, lockedMemory: 0, dmaStopMs: 60_000 }, seed);
    expect(a.s.metrics.innocentVictims).toBe(0);
    expect(b.s.metrics.innocentVictims).toBe(0);
    expect(a.s.metrics.oomVictims).toBe(b.s.metrics.oomVictims);
    // The second kill is needed in both (the service wants more than the first victim had), and
    // in mm_exit it comes long before the first victim's mm_freed: "before mm_freed" is not the test.
    const kills = a.ev.of('oom_kill');
    expect(kills.length).toBeGreaterThanOrEqual(2);
    const freed = a.ev.first('mm_freed', (e) => e.actor === `mm ${kills[0].args?.comm}:${kills[0].args?.pid}`)!;
    expect(kills[1].t).toBeLessThan(freed.t);
    // By then the reaper had freed all of the first victim's (reapable) memory.
    const pages = a.ev.events.filter((e) => e.kind === 'mm_pages' && e.actor === freed.actor && e.t <= kills[1].t).pop()!;
    expect(pages.a).toBe(0);
  });

  it('a kill while the first victim\'s mlocked memory is still pinned behind release() is innocent', () => {
    const { s, ev } = run('oom-bound-victim', { mmExit: true, lockedMemory: 2048, dmaStopMs: 30_000 }, 8);
    expect(s.metrics.innocentVictims).toBeGreaterThanOrEqual(1);
    const kills = ev.of('oom_kill');
    const mm = `mm ${kills[0].args?.comm}:${kills[0].args?.pid}`;
    const pages = ev.events.filter((e) => e.kind === 'mm_pages' && e.actor === mm && e.t <= kills[1].t).pop()!;
    expect(pages.b).toBe(2048 * 256); // all of it locked: the reaper took the rest
  });
});

// out_of_memory (mm/oom_kill.c): nothing left to kill -> dump_header, pr_warn("Out of memory and no
// killable processes...\n"), panic("System is deadlocked on memory\n"). kernel-logs/01 shows the
// lines and their order.
/** The lines dump_stack prints (CPU/Hardware name/Call Trace and the frames). */
function isDumpStackLine(m: string): boolean {
  return /^(CPU: |Hardware name: |Call Trace:$| \S+\+0x)/.test(m);
}

describe('oom-bound-victim: no killable process left', () => {
  const { s, ev } = run('oom-bound-victim', { bystanders: 0, pressureMiB: 20_000 }, 2);

  it('panics, and the run ends there', () => {
    expect(s.endReason).toBe('panic');
    expect(s.status).toBe('complete');
    expect(s.metrics.panics).toBe(1);
    expect(ev.of('panic')).toHaveLength(1);
    expect(ev.events[ev.events.length - 1].t).toBe(ev.of('panic')[0].t);
    expect(s.endTimeNs).toBe(ev.of('panic')[0].t);
  });

  it('prints the kernel\'s lines in the kernel\'s order', () => {
    const none = ev.first('oom_none')!;
    const all = ev.of('printk').filter((e) => e.seq > none.seq).map((e) => [e.a, String(e.args?.msg)] as const);
    const lines = all.filter(([, m]) => !isDumpStackLine(m));
    expect(lines).toEqual([
      [4, 'db-service invoked oom-killer: gfp_mask=0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=-1000'],
      [4, 'Out of memory and no killable processes...'],
      [0, 'Kernel panic - not syncing: System is deadlocked on memory'],
      [0, '---[ end Kernel panic - not syncing: System is deadlocked on memory ]---'],
    ]);
    // dump_header's and panic's dump_stack, each right after its first line (log 01, lines 2-5 and 241-245).
    expect(all[1][1]).toMatch(/^CPU: \d+ PID: \d+ Comm: db-service Not tainted 5\.8\.0 #1$/);
    expect(all[3][1]).toBe('Call Trace:');
    expect(all[4][1]).toMatch(/^ dump_stack\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    expect(all[5][1]).toMatch(/^ dump_header\+/);
    expect(all[6][1]).toMatch(/^ out_of_memory\+/);
    const panicAt = all.findIndex(([, m]) => m.startsWith('Kernel panic'));
    expect(all[panicAt + 3][1]).toBe('Call Trace:');
    expect(all[panicAt + 5][1]).toMatch(/^ panic\+/);
  });
});

// The OOM lines as v5.8 prints them (kernel-logs/01, 5.8.0-rc4-next): dump_header's "invoked
// oom-killer" (pr_warn), dump_oom_summary's "oom-kill:" (pr_info), __oom_kill_process's "Out of
// memory: Killed process" (pr_err, anon-rss = MM_ANONPAGES, which counts mlocked anonymous pages),
// oom_reap_task_mm's "oom_reaper: reaped process" (pr_info).
describe('oom-bound-victim: the kernel log', () => {
  const { s, ev } = run('oom-bound-victim', { mmExit: false, lockedMemory: 1536, victimAnonMiB: 512 }, 4);
  const msgs = ev.of('printk').map((e) => [e.a, String(e.args?.msg)] as const).filter(([, m]) => !isDumpStackLine(m));

  it('kill lines in order, with the locked pages in anon-rss', () => {
    const i = msgs.findIndex(([, m]) => m.startsWith('db-service invoked oom-killer:'));
    expect(i).toBeGreaterThanOrEqual(0);
    const victim = ev.of('oom_kill')[0].args as { pid: number };
    expect(msgs[i + 1]).toEqual([6, `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=accel-app,pid=${victim.pid},uid=1000`]);
    const kb = (512 + 1536) * 1024;
    expect(msgs[i + 2]).toEqual([3, `Out of memory: Killed process ${victim.pid} (accel-app) total-vm:${kb}kB, anon-rss:${kb}kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:${Math.ceil((kb / 4) / 512) * 4}kB oom_score_adj:0`]);
    // The reaper frees the 512 MiB of ordinary memory and leaves the mlocked 1536 MiB.
    expect(msgs.find(([, m]) => m.startsWith('oom_reaper: reaped process'))).toEqual([6, `oom_reaper: reaped process ${victim.pid} (accel-app), now anon-rss:${1536 * 1024}kB, file-rss:0kB, shmem-rss:0kB`]);
    expect(s.metrics.oomReaped).toBe(1);
    expect(s.metrics.oomReapFailed).toBe(0);
  });

  it('"unable to reap" is counted, and a pass that finds MMF_OOM_SKIP already set reaps nothing', () => {
    const failed = run('oom-bound-victim', { mmExit: true, dmaStopMs: 10_000, mmapLockHeldMs: 5_000 }, 3);
    expect(failed.s.metrics.oomReapFailed).toBe(1);
    expect(failed.ev.of('oom_reap_fail')).toHaveLength(1);
    // The innocent second victim is reaped normally.
    expect(failed.s.metrics.oomReaped).toBe(failed.s.metrics.oomVictims - 1);
  });
});
