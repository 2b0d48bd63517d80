import { afterEach, describe, expect, it } from 'vitest';
import { Sim } from '../../../main/sim/engine';
import { MMF_UNSTABLE } from '../../../main/sim/events';
import { do_exit } from '../../../main/sim/kernel/exit';
import { Sva } from '../../../main/sim/kernel/sva';
import { resolveScenarioParams } from '../../../main/sim/run';
import { findScenario } from '../../../main/sim/scenarios/index';
import type { Task } from '../../../main/sim/task';
import { CollectSink, MS, run, S } from '../helpers';

/** Kernel log lines of a run, in order. */
function logLines(ev: CollectSink): string[] {
  return ev.of('printk').map((e) => String(e.args?.msg));
}

describe('PRQ overflow (prq_event_thread, intel_svm_drain_prq; issue 9.3)', () => {
  const { s, ev } = run('prq-overflow-drain', {}, 5);

  it('a dropped request is auto-answered SUCCESS, which maps nothing: the retried translation is R=W=0 again and the device asks again', () => {
    expect(s.metrics.prqOverflows).toBeGreaterThan(0);
    const drop = ev.first('prq_overflow')!;
    const dev = ev.events.filter((e) => e.seq > drop.seq && e.kind === 'pri_resp' && e.b === 0)[0];
    // The same device, after the ATS round trip: R=W=0, then a new page request.
    const after = ev.events.filter((e) => e.seq > dev.seq && e.actor === dev.actor && (e.kind === 'ats_req' || e.kind === 'pri_req'));
    expect(after[0].kind).toBe('ats_req');
    expect(after[0].b).toBe(1);
    expect(after[1].kind).toBe('pri_req');
    // Only the fault handler maps pages: every SUCCESS the kernel sent is a handled request.
    expect(s.metrics.pageRequestBranches.overflowed).toBe(s.metrics.prqOverflows);
  });

  it('prints "PRQ overflow detected" per pass while PRO is set (pr_info_ratelimited: at most 10 per 5 s) and "cleared" once the queue is empty', () => {
    const lines = logLines(ev);
    const detected = lines.filter((l) => l === 'IOMMU: dmar0: PRQ overflow detected');
    expect(detected.length).toBeGreaterThan(0);
    expect(detected.length).toBeLessThanOrEqual(10);
    expect(lines.filter((l) => l === 'IOMMU: dmar0: PRQ overflow cleared').length).toBeGreaterThanOrEqual(1);
    expect(s.metrics.prqPeak).toBe(128);
    expect(s.metrics.deviceStallNs).toBeGreaterThan(0);
  });

  it('the drain retries while the others keep the queue overflowing, and more noisy devices never shorten it', () => {
    expect(s.metrics.drainRetries).toBeGreaterThan(0);
    const drains = [0, 1, 2, 3].map((n) => run('prq-overflow-drain', { noisyDevices: n }, 5).s.metrics.drainNs.max!);
    for (let i = 1; i < drains.length; i++) expect(drains[i]).toBeGreaterThanOrEqual(drains[i - 1]);
    expect(drains[3]).toBeGreaterThan(drains[0] * 10);
  });

  it('prqPeak follows prqDepth', () => {
    expect(run('prq-overflow-drain', { prqDepth: 64, noisyDevices: 2 }, 5).s.metrics.prqPeak).toBe(64);
  });
});

describe('the OOM reaper invalidates the device view (__oom_reap_task_mm → invalidate_range; issue 9.4)', () => {
  // A device busy through the whole mm_exit DMA stop, while the reaper frees the victim's anonymous memory.
  const busy = { mmExit: true, dmaStopMs: 500, dmaJobTx: 60_000 };
  const orig = Sva.prototype.invalidate_range;
  afterEach(() => {
    Sva.prototype.invalidate_range = orig;
  });

  it('mm_exit model: no transaction completes into reaped memory; the reaper\'s unmap reaches io_mm_invalidate_range', () => {
    const { s, ev } = run('oom-bound-victim', busy, 11);
    expect(s.metrics.dmaAfterFree).toBe(0);
    expect(ev.fn('io_mm_invalidate_range').length).toBeGreaterThan(0);
    // Reaped pages touched later are answered, not written: R=W=0, then INVALID (mm_users is 0).
    expect(s.metrics.pageRequestBranches.mmDefunct).toBeGreaterThan(1000);
  });

  it('quiet model: 0 as well (release() has already flushed the ATC when exit_mmap unmaps)', () => {
    expect(run('oom-bound-victim', { ...busy, mmExit: false }, 11).s.metrics.dmaAfterFree).toBe(0);
  });

  it('counts honestly: without the notifier\'s invalidation, thousands of transactions land in freed pages', () => {
    Sva.prototype.invalidate_range = function* () {};
    expect(run('oom-bound-victim', busy, 11).s.metrics.dmaAfterFree).toBeGreaterThan(1000);
  });

  it('SMMUv3: a TLBI slower than ARM_SMMU_POLL_TIMEOUT_US lets CMD_SYNC time out and the pages be freed under the stale translations', () => {
    const { s, ev } = run('sigkill-during-dma', { iommu: 'smmuv3', iotlbInvalUs: 3_000_000, dmaJobTx: 110_000, dmaStopMs: 2000 }, 4);
    const line = logLines(ev).find((l) => l.includes('CMD_SYNC timeout'))!;
    expect(line).toMatch(/^arm-smmu-v3 arm-smmu-v3\.0\.auto: CMD_SYNC timeout at 0x[0-9a-f]{8} \[hwprod 0x[0-9a-f]{8}, hwcons 0x[0-9a-f]{8}\]$/);
    expect(s.metrics.releaseLatencyNs.max!).toBeGreaterThanOrEqual(1 * S);
    expect(s.metrics.releaseLatencyNs.max!).toBeLessThan(1.01 * S);
    expect(s.metrics.dmaAfterFree).toBeGreaterThan(0);
  });
});

describe('PASID tables are per device (intel_pasid_get_entry(dev, pasid), SMMUv3 CD tables; issue 9.5)', () => {
  it('a PASID reused on the same device carries the old queue\'s DMA into the new mm, ATC hits included', () => {
    const { s, ev } = run('unbind-with-dma', { rebindSameDevice: true, rebindAfterMs: 25 }, 6);
    const allocs = ev.of('pasid_alloc');
    expect(allocs[1].a).toBe(allocs[0].a);
    expect(s.metrics.strayTransactions).toBeGreaterThan(0);
    const old = ev.events.filter((e) => e.actor === 'dma accel0 q0');
    const strays = old.filter((e) => e.kind === 'dma_tx' && e.b === 3).length;
    const translations = old.filter((e) => e.kind === 'ats_req' && e.b === 0 && e.t > allocs[1].t).length;
    expect(strays).toBe(s.metrics.strayTransactions);
    expect(strays).toBeGreaterThan(translations); // most strays are ATC hits, no ATS request
  });

  it('the same PASID on another device is another entry: no stray DMA, the old queue keeps faulting', () => {
    const same = run('unbind-with-dma', { rebindSameDevice: true, rebindAfterMs: 25 }, 6).s;
    const other = run('unbind-with-dma', { rebindSameDevice: false, rebindAfterMs: 25 }, 6).s;
    expect(other.metrics.strayTransactions).toBe(0);
    expect(other.metrics.reportedErrors).toBeGreaterThan(same.metrics.reportedErrors);
  });

  it('the DMAR fault lines read as v5.8\'s dmar_fault prints them, never "NO_PASID" for a request with a PASID', () => {
    const { ev } = run('unbind-with-dma', {}, 6);
    const lines = logLines(ev).filter((l) => l.startsWith('DMAR:'));
    expect(lines.length).toBe(10); // one ratelimit state, 10 per 5 s, shared by both lines
    expect(lines[0]).toBe('DMAR: DRHD: handling fault status reg 2');
    expect(lines[1]).toMatch(/^DMAR: \[DMA (Read|Write)\] Request device \[00:02\.0\] PASID 1 fault addr 7f[0-9a-f]{10} \[fault reason 89\] SM: Present bit in PASID Table Entry is clear$/);
    expect(lines.some((l) => l.includes('NO_PASID'))).toBe(false);
  });
});

describe('the fault handler\'s checks (iopf_handle_single, prq_event_thread; issue 9.8)', () => {
  it('DMA on unmapped buffers: find_extend_vma fails, INVALID, nothing printed (the seed commit, step 1)', () => {
    const { s, ev } = run('sigkill-during-dma', { unmappedRate: 0.1 }, 4);
    const trigger = ev.first('trigger')!;
    const bad = ev.events.filter((e) => e.kind === 'fn_end' && e.args?.branch === 'no_vma');
    expect(bad.length).toBe(s.metrics.pageRequestBranches.badAddress);
    expect(bad.filter((e) => e.t < trigger.t).length).toBeGreaterThan(50);
    expect(s.metrics.faultsPrinted).toBe(0);
    expect(s.metrics.reportedErrors).toBe(0);
  });

  it('exit-during-fault with unmappedRate: the branches still add up to the responses', () => {
    const { s } = run('exit-during-fault', { unmappedRate: 0.05 }, 3);
    const br = s.metrics.pageRequestBranches;
    expect(br.badAddress).toBeGreaterThan(0);
    expect(br.handled + br.mmDefunct + br.noMm + br.badAddress + br.faultError).toBe(s.metrics.pageResponses.success + s.metrics.pageResponses.invalid);
    expect(s.metrics.faultsPrinted).toBe(0);
  });

  it('a dying mm (MMF_UNSTABLE): handle_mm_fault gets VM_FAULT_SIGBUS from check_stable_address_space, INVALID', () => {
    const sc = findScenario('sigkill-during-dma')!;
    const p = resolveScenarioParams(sc.id, { killAtMs: 50 });
    const ev = new CollectSink();
    const sim = new Sim(4, [ev]);
    const k = sc.build(sim, p);
    sim.exitPath = (t: Task) => do_exit(k, t);
    k.start();
    // As the OOM reaper does when it starts on a victim that still has users.
    sim.at(10 * MS, () => k.procs[0].mm!.setFlag(MMF_UNSTABLE));
    sim.run(sc.horizon(p));
    const sigbus = ev.events.filter((e) => e.kind === 'fn_end' && e.args?.branch === 'fault_error');
    expect(sigbus.length).toBeGreaterThan(0);
    expect(sigbus.every((e) => e.t >= 10 * MS && e.args?.code === 1)).toBe(true);
    expect(ev.events.filter((e) => e.kind === 'fn_end' && e.args?.branch === 'handled' && e.t > 10 * MS)).toHaveLength(0);
  });

  it('Intel v5.8–v5.13 handle the fault inside prq_event_thread; v5.14 on the IOPF workqueue', () => {
    const inline = run('exit-during-fault', { faultHandler: 'prq_event_thread' }, 1);
    expect(inline.ev.fn('iopf_handle_single')).toHaveLength(0);
    const h = inline.ev.fn('handle_single_prq_event');
    expect(h.length).toBeGreaterThan(0);
    expect(h.every((e) => e.actor.startsWith('irq/dmar0-prq'))).toBe(true);
    expect(inline.s.metrics.pageRequestBranches.handled).toBeGreaterThan(0);
    expect(inline.s.metrics.pageRequestBranches.mmDefunct).toBeGreaterThan(0);
    const wq = run('exit-during-fault', { faultHandler: 'iopf_queue' }, 1);
    expect(wq.ev.fn('iopf_handle_single').every((e) => e.actor.startsWith('kworker/u:iopf_queue'))).toBe(true);
    expect(wq.ev.fn('iommu_report_device_fault').every((e) => e.actor.startsWith('irq/dmar0-prq'))).toBe(true);
  });
});

describe('hardware flavours (issue 9.9)', () => {
  it('SMMUv3: no PRQ and no ATS; faults stall through the event queue to the IOPF queue; silent between release and unbind', () => {
    const { s, ev } = run('sigkill-during-dma', { iommu: 'smmuv3' }, 4);
    expect(s.metrics.atsNoTranslation).toBe(0);
    expect(s.metrics.prqPeak).toBe(0);
    expect(s.metrics.priInvalidResponses).toBeGreaterThan(0);
    expect(s.metrics.faultsPrinted).toBe(0);
    expect(s.metrics.reportedErrors).toBe(0);
    expect(ev.fn('arm_smmu_write_ctx_desc').map((e) => e.args?.cd)).toEqual(['cd', 'quiet_cd', 'NULL']);
    expect(ev.fn('iommu_report_device_fault').every((e) => e.actor.startsWith('irq/arm-smmu-v3-evtq'))).toBe(true);
    expect(ev.fn('intel_svm_drain_prq')).toHaveLength(0);
  });

  it('SMMUv3: DMA after unbind hits a cleared CD: C_BAD_CD records printed raw ("event 0x0a received:" and four words), ratelimited per record', () => {
    const { s, ev } = run('unbind-with-dma', { iommu: 'smmuv3' }, 6);
    const lines = logLines(ev);
    expect(lines.length).toBe(50);
    expect(lines[0]).toBe('arm-smmu-v3 arm-smmu-v3.0.auto: event 0x0a received:');
    for (const l of lines.slice(1, 5)) expect(l).toMatch(/^arm-smmu-v3 arm-smmu-v3\.0\.auto: \t0x[0-9a-f]{16}$/);
    // evt[0]: SID 0x10 (00:02.0) in [63:32], SSID 1 in [31:12], SSV, ID 0x0a.
    expect(lines[1]).toBe('arm-smmu-v3 arm-smmu-v3.0.auto: \t0x000000100000180a');
    expect(s.metrics.reportedErrors).toBeGreaterThan(1000);
    expect(s.metrics.strayTransactions).toBeGreaterThan(0); // same device, same SSID: the CD table is per master
  });

  it('VT-d: intel_svm_drain_prq returns at once when PRI is off (if (!info->pri_enabled) return;)', () => {
    const { s, ev } = run('sigkill-during-dma', { devicePri: false }, 4);
    const [b] = ev.fn('intel_svm_drain_prq');
    const [e] = ev.fn('intel_svm_drain_prq', 'fn_end');
    expect(e.t).toBe(b.t);
    expect(e.args?.pri).toBe('off');
    expect(ev.of('pri_req')).toHaveLength(0);
    expect(s.metrics.abortedTransactions).toBeGreaterThan(0);
    expect(s.metrics.drainNs.max).toBe(0);
  });
});

describe('traced calls with kernel names (issue 13.5)', () => {
  it('the device paths appear as fn_begin/fn_end pairs named after the kernel functions', () => {
    const { ev } = run('sigkill-during-dma', {}, 4);
    for (const fn of ['intel_pasid_setup_first_level', 'intel_pasid_tear_down_entry', 'intel_svm_drain_prq', 'prq_event_thread', 'iommu_report_device_fault', 'iopf_handle_group', 'iopf_handle_single', 'stop_queue']) {
      expect(ev.fn(fn).length, fn).toBeGreaterThan(0);
      expect(ev.fn(fn, 'fn_end').length, fn).toBe(ev.fn(fn).length);
    }
    expect(ev.fn('intel_pasid_tear_down_entry').map((e) => e.args?.fault_ignore)).toEqual([true, false]);
  });
});
