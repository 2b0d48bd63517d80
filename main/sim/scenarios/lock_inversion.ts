import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import { mmget, mmput } from '../kernel/mm';
import type { Params } from '../params';
import type { Gen, Task } from '../task';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const lockInversion: Scenario = {
  id: 'lock-inversion',
  title: 'A caller holding lock A does the last mmput while mm_exit takes A',
  story:
    'A driver thread periodically takes its lock A (uacce_mm->lock), grabs the process\'s mm (get_task_mm) to read ' +
    'statistics, and mmputs it before unlocking. If the process exits meanwhile, that mmput is the last one: ' +
    'exit_mmap runs in the driver thread, and with mm_exit release() calls the driver\'s mm_exit, which takes A, ' +
    'held by the same thread. The iommu.h of v5.3 to v5.7 warned about exactly this. The quiet release takes no ' +
    'driver lock.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(30, 'earliest time of the SIGKILL; the exact time is drawn within one stats period'),
      { key: 'statsHoldMs', type: 'number', default: 5, min: 0.001, max: 10_000, unit: 'ms', group: 'scenario', doc: 'how long the driver thread holds A and the mm reference' },
      { key: 'statsGapMs', type: 'number', default: 1, min: 0.001, max: 10_000, unit: 'ms', group: 'scenario', doc: 'pause between two statistics reads' },
      COMMON_OWN.dmaJobTx(2000),
      COMMON_OWN.priCredits(32),
    ],
    { mmExit: true, lockedMemory: 0 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    const lockA = new Mutex(sim, 'uacce_mm->lock (A)');
    const { proc } = svaProcess(k, {
      comm: 'accel-app',
      anonMiB: 128,
      dev: 'accel0 q0',
      job: dmaJob(p, { faultRate: 0.01 }),
      priCredits: p.priCredits as number,
      driverLock: lockA,
    });
    const hold = ms(p.statsHoldMs as number);
    const gap = ms(p.statsGapMs as number);
    k.kthread('accel-stats', function* (t: Task): Gen {
      yield* k.sim.sleep(t, ms(1), 'msleep', false);
      for (;;) {
        const mm = proc.mm;
        if (!mm || mm.users === 0 || proc.liveThreads === 0) return;
        yield* lockA.lock(t);
        mmget(k, mm, 'get_task_mm');
        yield hold;
        yield* mmput(k, t, mm);
        lockA.unlock(t);
        yield* k.sim.sleep(t, gap, 'msleep', false);
      }
    });
    const period = (p.statsHoldMs as number) + (p.statsGapMs as number);
    const jitter = k.sim.rng.get('workload').float() * period;
    killAt(k, proc, ms((p.killAtMs as number) + jitter));
    return k;
  },
};
