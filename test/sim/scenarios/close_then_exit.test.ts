import { describe, expect, it } from 'vitest';
import { MS, run } from '../helpers';

// close-then-exit: the process munmaps and closes its queue while alive (the driver's release stops
// the device and unbinds), then exits. Both designs must get through it.
describe.each([
  ['mm_exit', true],
  ['quiet', false],
] as const)('close-then-exit, %s model', (_name, mmExit) => {
  const { s, ev } = run('close-then-exit', { mmExit }, 7);

  it('does not deadlock and ends quiescent', () => {
    expect(s.status).toBe('complete');
    expect(s.endReason).toBe('quiescent');
    expect(s.metrics.lockups).toBe(0);
    expect(s.metrics.hungTaskReports).toBe(0);
    expect(s.warnings).toEqual([]);
  });

  it('frees the PASID after the driver stopped the device and long before the exit', () => {
    const stop = ev.fn('stop_queue', 'fn_end')[0];
    const free = ev.first('pasid_free')!;
    const exit = ev.fn('do_exit')[0];
    expect(s.metrics.pasidFreedNs).not.toBeNull();
    expect(free.t).toBeGreaterThanOrEqual(stop.t);
    expect(free.t).toBeLessThan(exit.t);
    // The device was told to stop at the close (the trigger): dmaStopMs 5 by default.
    expect(s.metrics.pasidFreedNs!).toBeGreaterThanOrEqual(5 * MS);
  });

  it('the exit finds no notifier: exit_mmap calls no release()', () => {
    expect(ev.fn('__mmu_notifier_release')).toHaveLength(0);
    const exit = ev.fn('do_exit')[0];
    expect(ev.of('release_begin').filter((e) => e.t >= exit.t)).toHaveLength(0);
    // No mm_count leak: the mm_struct itself is freed at the end.
    expect(ev.of('mm_free')).toHaveLength(1);
    expect(s.metrics.memoryFreedNs).not.toBeNull();
  });
});

describe('close-then-exit, the two unbinds', () => {
  it('mm_exit (v4 iommu_sva_unbind_generic): flushes the IOPF queue before taking iommu_sva_lock, then mmu_notifier_put frees the PASID from an SRCU callback; release() is never called', () => {
    const { s, ev } = run('close-then-exit', { mmExit: true, srcuGpUs: 300 }, 3);
    expect(s.metrics.releaseLatencyNs.count).toBe(0);
    const unbind = ev.fn('iommu_sva_unbind_generic')[0];
    const flush = ev.fn('iopf_queue_flush_dev').find((e) => e.actor === unbind.actor && e.t >= unbind.t)!;
    const lock = ev.events.find((e) => e.kind === 'lock_acquire' && e.actor === 'mutex iommu_sva_lock' && e.seq > unbind.seq)!;
    expect(flush.seq).toBeLessThan(lock.seq);
    // io_mm_free runs in srcu_invoke_callbacks on rcu_gp_wq, one grace period after the put.
    const detach = ev.fn('io_mm_detach_locked', 'fn_end')[0];
    const free = ev.first('pasid_free')!;
    const ioMmFree = ev.fn('io_mm_free')[0];
    expect(ioMmFree.actor).toMatch(/^kworker\/u:rcu_gp/);
    expect(free.t - detach.t).toBeGreaterThanOrEqual(300_000);
    expect(free.t - detach.t).toBeLessThan(1 * MS);
  });

  it('quiet (v5.8 intel_svm_unbind_mm): frees the PASID, then unregisters the notifier, whose release() finds no device and invalidates nothing', () => {
    const { s, ev } = run('close-then-exit', { mmExit: false }, 3);
    expect(s.metrics.releaseLatencyNs.count).toBe(1);
    const rel = ev.first('release_begin')!;
    const relEnd = ev.first('release_end')!;
    const free = ev.first('pasid_free')!;
    expect(free.seq).toBeLessThan(rel.seq);
    expect(ev.of('inval').filter((e) => e.seq > rel.seq && e.seq < relEnd.seq)).toHaveLength(0);
    expect(ev.fn('mmu_notifier_unregister')).toHaveLength(1);
    // The lock is Intel's pasid_mutex.
    expect(ev.events.some((e) => e.kind === 'lock_acquire' && e.actor === 'mutex pasid_mutex')).toBe(true);
  });

  it('holds for other timings and seeds: a slow device and an exit right after the close', () => {
    for (const mmExit of [true, false]) {
      const { s } = run('close-then-exit', { mmExit, dmaStopMs: 2000, exitAfterMs: 0, faultRate: 0.3 }, 11);
      expect(s.metrics.lockups).toBe(0);
      expect(s.metrics.pasidFreedNs!).toBeGreaterThanOrEqual(2000 * MS);
      expect(s.metrics.releaseUnfinished).toBe(0);
    }
  });
});
