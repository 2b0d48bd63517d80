import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

/**
 * The normal path: the process unbinds while it is alive (munmap + close of its queue, so the
 * driver's release runs at close), then exits. Both designs must get through it: the v4 series'
 * unbind (iommu_sva_unbind_generic) flushes the IOPF queue before taking iommu_sva_lock and drops
 * the notifier with mmu_notifier_put, which never calls release(); v5.8's intel_svm_unbind_mm
 * unregisters the notifier, whose release() finds no device left.
 */
export const closeThenExit: Scenario = {
  id: 'close-then-exit',
  title: 'The process closes its device, then exits (the normal path)',
  story:
    'A process uses an accelerator through SVA, then does what a tidy program does: it unmaps the queue and closes ' +
    'its file descriptor while still alive, and exits a little later. The close runs the driver\'s release, which ' +
    'stops the device and unbinds. Quiet model (v5.8): unbind tears the PASID entry down, drains page requests, ' +
    'frees the PASID and unregisters the notifier, whose release() finds no device left. mm_exit model (v4 series): ' +
    'unbind flushes the IOPF queue before taking iommu_sva_lock, detaches the bond and drops the io_mm with ' +
    'mmu_notifier_put, which never calls release(); the PASID is freed one SRCU grace period later. Either way the ' +
    'exit finds no notifier: no release() at exit, no deadlock, and the PASID is long free when the process dies. ' +
    'Times are measured from the close.',
  params: paramsWith(
    [
      { key: 'closeAtMs', type: 'number', default: 20, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'the process unmaps and closes its queue this long after starting the job' },
      { key: 'exitAfterMs', type: 'number', default: 10, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'the process exits this long after the close returned' },
      { key: 'anonMiB', type: 'int', default: 256, min: 1, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'memory of the process' },
      COMMON_OWN.dmaJobTx(20_000),
      COMMON_OWN.faultRate(0.05),
      COMMON_OWN.priCredits(32),
    ],
    { lockedMemory: 0, dmaStopMs: 5 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    svaProcess(k, {
      comm: 'accel-app',
      anonMiB: p.anonMiB as number,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock: new Mutex(sim, 'uacce_mm->lock'),
      closeAfter: ms(p.closeAtMs as number),
      munmap: true,
      onClose: (_q, pr) => k.trigger('close(fd)', pr),
      exitAfterClose: ms(p.exitAfterMs as number),
    });
    return k;
  },
};
