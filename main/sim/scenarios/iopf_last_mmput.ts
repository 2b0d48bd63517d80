import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const iopfLastMmput: Scenario = {
  id: 'iopf-last-mmput',
  title: 'The I/O page fault handler drops the last mm reference',
  story:
    'A device streams into fresh pages, so every transaction faults and the IOPF workers keep taking mm references. ' +
    'The process is killed; a fault handler\'s reference becomes the last one. With mm_exit and plain mmput that ' +
    'handler runs exit_mmap itself: release() takes iommu_sva_lock, stops the device, then flushes the IOPF ' +
    'workqueue it is running on and waits for itself forever. The lock stays held, a later bind blocks, and khungtaskd ' +
    'reports both. That pair is the seed commit\'s warning, not a shipped kernel: the v4 series\' handler used ' +
    'mmput_async (the summary\'s warnings say so), which moves the teardown to a kworker; set iopfPut=mmput_async to ' +
    'see it work. The quiet release flushes nothing, so plain mmput is safe there.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(10),
      COMMON_OWN.dmaJobTx(20_000),
      COMMON_OWN.faultRate(1),
      COMMON_OWN.priCredits(32),
      { key: 'secondBindMs', type: 'number', default: 1000, min: -1, max: 600_000, unit: 'ms', group: 'scenario', doc: 'another process binds the device at this time (-1: never)' },
    ],
    { mmExit: true, iopfPut: 'mmput', faultUs: 50, dmaIntervalUs: 5, lockedMemory: 0 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    const driverLock = new Mutex(sim, 'uacce_mm->lock');
    const { proc } = svaProcess(k, {
      comm: 'stream-app',
      anonMiB: 128,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock,
    });
    killAt(k, proc, ms(p.killAtMs as number));
    const second = p.secondBindMs as number;
    if (second >= 0) {
      svaProcess(k, {
        comm: 'other-app',
        anonMiB: 64,
        dev: 'accel0 q1',
        job: { transactions: 100, faultRate: 0 },
        priCredits: p.priCredits as number,
        driverLock,
        startAfter: ms(second),
      });
    }
    return k;
  },
};
