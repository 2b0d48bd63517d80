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
