import type { Sim } from '../engine';
import { IdxdWq } from '../kernel/idxd';
import { IntelIommu } from '../kernel/intel';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import type { Gen, Task } from '../task';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, openWqAndStart, paramsWith, type Scenario } from './scenario';

/**
 * Log 05 (v5.7.0-rc1 with the page-request drain patches, Jacob Pan, Apr 2020): a process bound to a
 * DSA device dies while the device is faulting. exit_mmap → __mmu_notifier_release →
 * intel_mm_release, which in that test kernel also drained page requests (intel_svm_drain_prq)
 * inside its rcu_read_lock: the drain's wait_for_completion_timeout may sleep, and
 * CONFIG_DEBUG_ATOMIC_SLEEP prints "BUG: sleeping function called from invalid context". The
 * drain stayed in unbind only (v5.8).
 *
 * Log 05 says "INFO: lockdep is turned off.": something earlier in that boot (not in the excerpt)
 * had turned lockdep off, so this scenario boots with debug_locks off (`debugLocks`; set it to see
 * the held locks instead: srcu and rcu_read_lock).
 */
export const drainInRelease: Scenario = {
  id: 'drain-in-release',
  title: 'v5.7-rc1: the PRQ drain called from intel_mm_release sleeps under rcu_read_lock',
  story:
    'A process with a DSA work queue bound through SVA crashes while the device is taking page faults. Its exit ' +
    'runs exit_mmap, whose __mmu_notifier_release calls intel_mm_release; in the v5.7-rc1 test kernel of this ' +
    'incident release() also drained the page request queue, inside rcu_read_lock. With requests for the PASID ' +
    'still queued, the drain waits (wait_for_completion_timeout) and the kernel prints "BUG: sleeping function ' +
    'called from invalid context" with in_atomic(): 1 and the call trace through exit_mmap. That is why the drain ' +
    'was merged in unbind only. Times are measured from the crash.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(2, 'when the process crashes (a fatal signal; the exact time is drawn within 1 ms after it)'),
      { key: 'debugLocks', type: 'bool', default: false, group: 'scenario', doc: 'lockdep is on at boot (true); false, as in log 05: it is already off ("INFO: lockdep is turned off.")' },
      COMMON_OWN.dmaJobTx(20_000),
      COMMON_OWN.faultRate(0.5),
      COMMON_OWN.priCredits(64),
    ],
    // A busy device, a slow PRQ thread: a transaction every µs, half of them faulting; the PRQ
    // thread spends 20 µs per descriptor before the 1 µs fault (v5.7 handles faults there). So
    // requests for the PASID are queued when the process dies, and the thread rarely holds the mm
    // then (when it does, its mmput is the last one and exit_mmap runs in the PRQ thread).
    { mmExit: false, iommu: 'vt-d', faultHandler: 'prq_event_thread', lockedMemory: 0, dmaStopMs: 1, prqHandleUs: 20, faultUs: 1, dmaIntervalUs: 1 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096, { release: '5.7.0-rc1 #1', debugLocks: p.debugLocks as boolean });
    k.sva.drainInRelease = true;
    // The test kernel's drain waited with a timeout (log 05: wait_for_completion_timeout).
    if (k.iommu.hw instanceof IntelIommu) k.iommu.hw.drainWait = 'wait_for_completion_timeout';
    const wq = new IdxdWq(k, 'dsa0 wq0', p.priCredits as number);
    const job = dmaJob(p);
    const proc = k.createProcess({
      comm: 'dsatest',
      anonMiB: 64,
      body: function* (kk: Kernel, t: Task, pr): Gen {
        if (!(yield* openWqAndStart(kk, t, pr, wq, job))) return;
        for (;;) yield* kk.sim.userIdle(t, 'user: computing');
      },
    });
    // A crash (SIGSEGV) and SIGKILL take the same exit path (get_signal → do_group_exit → do_exit);
    // the model sends SIGKILL.
    const jitter = k.sim.rng.get('workload').float() * 1;
    killAt(k, proc, ms((p.killAtMs as number) + jitter), 'crash');
    return k;
  },
};
