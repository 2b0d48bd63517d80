import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { DEVICE_OWN } from './device_params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const exitDuringFault: Scenario = {
  id: 'exit-during-fault',
  title: 'Page requests arriving while the process exits',
  story:
    'The device keeps faulting while its process is killed. Follow which branch answers each page request: handled ' +
    '(SUCCESS) while mm_users > 0; no VMA at the address (unmappedRate: INVALID, silent); mmget_not_zero failing ' +
    '(INVALID, silent) once the last user is gone; R=W=0 and INVALID from the quiet PASID entry after release(). ' +
    'The driver stops the device before unbind, so nothing is printed. faultHandler ' +
    'chooses where the handler runs: the IOPF workqueue (v5.14) or the PRQ thread itself (v5.8 to v5.13). The ' +
    'response latency shows where a request waited.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(10),
      COMMON_OWN.dmaJobTx(20_000),
      COMMON_OWN.faultRate(0.2),
      DEVICE_OWN.unmappedRate(0),
      COMMON_OWN.priCredits(32),
      { key: 'anonMiB', type: 'int', default: 1024, min: 1, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'memory of the process: exit_mmap takes longer to unmap more' },
    ],
    { lockedMemory: 0, dmaStopMs: 20 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    const { proc } = svaProcess(k, {
      comm: 'accel-app',
      anonMiB: p.anonMiB as number,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock: new Mutex(sim, 'uacce_mm->lock'),
    });
    killAt(k, proc, ms(p.killAtMs as number));
    return k;
  },
};
