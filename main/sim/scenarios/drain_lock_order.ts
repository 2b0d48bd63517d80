import type { Sim } from '../engine';
import { IdxdWq } from '../kernel/idxd';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import type { Gen, Task } from '../task';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, makeKernel, ms, openWqAndStart, paramsWith, type Scenario } from './scenario';

/**
 * Log 04 (v5.14.0-rc7, Fenghua Yu, Aug 2021): a process with a DSA work queue open through SVA
 * closes it; idxd_cdev_release → iommu_sva_unbind_device (&group->mutex) → intel_svm_unbind
 * (pasid_mutex) → intel_svm_drain_prq → iopf_queue_flush_dev takes &param->lock. Earlier in the
 * run the PRQ thread took &param->fault_param->lock under &param->lock (iommu_report_device_fault)
 * and an IOPF worker took pasid_mutex under &param->fault_param->lock (iommu_page_response →
 * intel_svm_page_response). lockdep sees the cycle at the unbind and prints its report, although
 * this run does not deadlock: nothing is in flight then. With faults still being handled when the
 * unbind comes (a slow handle_mm_fault, `faultUs`), the worker waits for pasid_mutex while the
 * unbind's flush waits for the worker: the deadlock lockdep warned of.
 */
export const drainLockOrder: Scenario = {
  id: 'drain-lock-order',
  title: 'v5.14: the unbind drain flushes the IOPF queue under pasid_mutex (lockdep splat)',
  story:
    'A process uses an Intel DSA work queue through SVA (v5.14: page requests go through the IOPF queue), then ' +
    'closes it. The release unbinds: iommu_sva_unbind_device holds &group->mutex, intel_svm_unbind holds ' +
    'pasid_mutex, and the drain calls iopf_queue_flush_dev, which takes &param->lock. The PRQ thread took the ' +
    'device\'s fault lock under &param->lock, and the IOPF worker took pasid_mutex under that fault lock ' +
    '(iommu_page_response → intel_svm_page_response): lockdep prints "possible circular locking dependency ' +
    'detected" with the three-lock chain, as in the kernel log of this incident, even though this run does not ' +
    'deadlock. Make handle_mm_fault slow (faultUs) so that a fault is still being handled at the close, and the ' +
    'deadlock is real: the worker waits for pasid_mutex, the unbind waits for the worker. Times are measured from ' +
    'the close.',
  params: paramsWith(
    [
      { key: 'closeAtMs', type: 'number', default: 5, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'the process closes its work queue this long after submitting the job' },
      { key: 'debugLocks', type: 'bool', default: true, group: 'scenario', doc: 'lockdep is on at boot (debug_locks=1); false: it is already off and prints nothing' },
      COMMON_OWN.dmaJobTx(200),
      COMMON_OWN.faultRate(0.2),
      COMMON_OWN.priCredits(32),
    ],
    { mmExit: false, iommu: 'vt-d', faultHandler: 'iopf_queue', lockedMemory: 0, dmaStopMs: 1 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096, { release: '5.14.0-rc7 #1', debugLocks: p.debugLocks as boolean });
    const wq = new IdxdWq(k, 'dsa0 wq0', p.priCredits as number);
    const closeAt = ms(p.closeAtMs as number);
    const job = dmaJob(p);
    k.createProcess({
      comm: 'dsa_test',
      anonMiB: 64,
      body: function* (kk: Kernel, t: Task, pr): Gen {
        if (!(yield* openWqAndStart(kk, t, pr, wq, job))) return;
        yield* kk.sim.user(t, closeAt);
        kk.trigger('close(fd)', pr);
        yield* kk.syscall(t, '__x64_sys_close', kk.close_fd(t, pr, wq.file!));
        yield* kk.sim.user(t, ms(1));
        // exit(0): do_exit follows.
      },
    });
    return k;
  },
};
