import { describe, expect, it } from 'vitest';
import { MS, run } from '../helpers';

describe('sigkill-during-dma (quiet model)', () => {
  const { s, ev } = run('sigkill-during-dma', { mmExit: false, dmaStopMs: 15 }, 4);

  it('answers the device silently between exit_mmap and unbind', () => {
    expect(s.metrics.abortedTransactions).toBeGreaterThan(0);
    expect(s.metrics.atsNoTranslation).toBeGreaterThan(0);
    expect(s.metrics.priInvalidResponses).toBeGreaterThan(0);
    expect(s.metrics.faultsPrinted).toBe(0);
    expect(s.metrics.reportedErrors).toBe(0);
    const release = ev.first('release_end')!;
    const unbind = ev.fn('iommu_sva_unbind_device')[0];
    // Every R=W=0 after release() comes from the not-present (fault-ignoring) entry.
    const quiet = ev.events.find((e) => e.kind === 'pasid_entry' && e.a === 2)!;
    expect(quiet.t).toBeLessThanOrEqual(release.t);
    const silent = ev.of('dma_tx').filter((e) => e.b === 1);
    expect(silent.every((e) => e.t > quiet.t && e.t <= unbind.t + 1 * MS)).toBe(true);
  });

  it('frees the PASID only after unbind, after the DMA stop', () => {
    const unbind = ev.fn('iommu_sva_unbind_device')[0];
    const free = ev.first('pasid_free')!;
    expect(free.t).toBeGreaterThan(unbind.t);
    const stop = ev.fn('stop_queue', 'fn_end')[0];
    expect(stop.t - ev.fn('stop_queue')[0].t).toBe(15 * MS);
    expect(free.t).toBeGreaterThan(stop.t);
    // The entry is cleared (faults reported again) before the PASID is freed, and drained.
    const cleared = ev.events.filter((e) => e.kind === 'pasid_entry' && e.a === 0).pop()!;
    expect(cleared.t).toBeLessThanOrEqual(free.t);
    expect(ev.fn('intel_svm_drain_prq', 'fn_end')[0].t).toBeLessThanOrEqual(free.t);
  });

  it('tears down in kernel order: entry, PASID cache, IOTLB, device TLB', () => {
    const release = ev.first('release_begin')!;
    const inv = ev.events.filter((e) => e.kind === 'inval' && e.t >= release.t).slice(0, 3).map((e) => e.b);
    expect(inv).toEqual([1, 2, 3]);
  });
});

describe('unbind-with-dma', () => {
  it('reports errors for DMA after unbind, ratelimited in the log, and stray DMA hits the next owner of the PASID', () => {
    const { s, ev } = run('unbind-with-dma', { driverStopsDma: false, rebindAfterMs: 25 }, 6);
    expect(s.metrics.reportedErrors).toBeGreaterThan(0);
    expect(s.metrics.faultsPrinted).toBeGreaterThan(0);
    expect(s.metrics.faultsPrinted).toBeLessThan(s.metrics.reportedErrors);
    expect(s.metrics.strayTransactions).toBeGreaterThan(0);
    const allocs = ev.of('pasid_alloc');
    expect(allocs).toHaveLength(2);
    expect(allocs[1].a).toBe(allocs[0].a); // the lowest free PASID is the one just freed
  });

  it('a driver that stops DMA before unbind reports nothing', () => {
    const { s } = run('unbind-with-dma', { driverStopsDma: true }, 6);
    expect(s.metrics.reportedErrors).toBe(0);
    expect(s.metrics.faultsPrinted).toBe(0);
    expect(s.metrics.strayTransactions).toBe(0);
  });
});

describe('lock-inversion', () => {
  it('mm_exit model: the caller holding A does the last mmput, mm_exit takes A: deadlock', () => {
    const { s, ev } = run('lock-inversion', { mmExit: true }, 1);
    expect(s.metrics.lockups).toBe(1);
    expect((ev.of('deadlock')[0].args?.cycle as string[])[0]).toMatch(/^accel-stats:\d+ waits on mutex uacce_mm->lock \(A\) held by accel-stats/);
    expect(s.metrics.hungTaskReports).toBeGreaterThanOrEqual(1);
  });

  it('quiet model: release() takes no driver lock', () => {
    const { s } = run('lock-inversion', { mmExit: false }, 1);
    expect(s.metrics.lockups).toBe(0);
    expect(s.metrics.releaseLatencyNs.count).toBe(1);
  });
});

describe('prq-overflow-drain', () => {
  it('the unbind drain retries while other devices keep the PRQ overflowing', () => {
    const { s } = run('prq-overflow-drain', {}, 1);
    expect(s.metrics.prqOverflows).toBeGreaterThan(0);
    expect(s.metrics.drainRetries).toBeGreaterThan(0);
    expect(s.metrics.drainNs.count).toBeGreaterThanOrEqual(1);
  });

  it('with no noisy neighbours the drain is a single pass', () => {
    const { s } = run('prq-overflow-drain', { noisyDevices: 0 }, 1);
    expect(s.metrics.prqOverflows).toBe(0);
    expect(s.metrics.drainRetries).toBe(0);
  });
});

describe('pasid-lifetime', () => {
  it('PASIDs stay allocated to dead mms until unbind; a narrow space makes binds fail', () => {
    const { s, ev } = run('pasid-lifetime', { pasidPerMm: false, pasidBits: 4, unbindDelayMs: 200 }, 1);
    expect(s.metrics.pasidsPeak).toBe(15);
    expect(s.metrics.pasidsHeldByDeadMmsPeak).toBe(15);
    expect(s.metrics.pasidAllocFailures).toBeGreaterThan(0);
    expect(ev.of('pasid_alloc').every((e) => e.a >= 1 && e.a <= 15)).toBe(true);
  });

  it('~v5.18: the PASID lives until mmdrop, so another mm_count holder keeps it past unbind', () => {
    // The idle CPU keeps the dead mm longer (400 ms) than the helper keeps the fd (200 ms).
    const v58 = run('pasid-lifetime', { pasidPerMm: false, lazyTlbHoldMs: 400, unbindDelayMs: 200 }, 1).s;
    const v518 = run('pasid-lifetime', { pasidPerMm: true, lazyTlbHoldMs: 400, unbindDelayMs: 200 }, 1).s;
    expect(v518.metrics.pasidFreedNs!).toBeGreaterThan(v58.metrics.pasidFreedNs!);
    expect(v518.metrics.pasidAllocFailures).toBeGreaterThan(v58.metrics.pasidAllocFailures);
  });

  it('with a short unbind delay and a wide space, no bind fails', () => {
    const { s } = run('pasid-lifetime', { pasidBits: 20, unbindDelayMs: 0 }, 1);
    expect(s.metrics.pasidAllocFailures).toBe(0);
  });
});

describe('exit-during-fault', () => {
  it('page requests are answered by different branches as the exit proceeds', () => {
    const { s, ev } = run('exit-during-fault', {}, 1);
    expect(s.metrics.pageResponses.success).toBeGreaterThan(0);
    expect(s.metrics.pageResponses.invalid).toBeGreaterThan(0);
    const trigger = ev.first('trigger')!;
    const successAfter = ev.of('pri_resp').filter((e) => e.b === 0 && e.t > trigger.t + 1 * MS);
    expect(successAfter).toHaveLength(0);
    expect(s.metrics.faultsPrinted).toBe(0);
    // Before the exit the fault is handled; after mm_users reaches 0 mmget_not_zero fails.
    const br = s.metrics.pageRequestBranches;
    expect(br.handled).toBeGreaterThan(0);
    expect(br.mmDefunct).toBeGreaterThan(0);
    expect(br.handled + br.mmDefunct + br.noMm).toBe(s.metrics.pageResponses.success + s.metrics.pageResponses.invalid);
    const lastHandled = ev.events.filter((e) => e.kind === 'fn_end' && e.args?.branch === 'handled').pop()!;
    const usersZero = ev.events.find((e) => e.kind === 'mm_users' && e.a === 0)!;
    expect(lastHandled.t).toBeLessThanOrEqual(usersZero.t);
  });
});
