import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const unbindWithDma: Scenario = {
  id: 'unbind-with-dma',
  title: 'Unbind while DMA still runs',
  story:
    'A buggy driver unbinds without stopping the device. After unbind the device\'s PASID entry is cleared and the ' +
    'PASID freed: the device\'s translations now fail with a reported fault ("something went seriously wrong", the ' +
    'seed commit), printed subject to ratelimiting. PASID tables are per device. When another process binds the ' +
    'same device (rebindSameDevice), it gets the lowest free PASID, the same value, in that device\'s table, and the ' +
    'old queue\'s DMA lands in the new process\'s address space (strayTransactions). If it binds another device, ' +
    'that is an entry of another table: the old queue\'s entry stays cleared, its DMA keeps failing, nothing is stray.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(10),
      { key: 'driverStopsDma', type: 'bool', default: false, group: 'scenario', doc: 'the driver stops DMA before unbind (true: the correct driver)' },
      { key: 'rebindAfterMs', type: 'number', default: 30, min: -1, max: 600_000, unit: 'ms', group: 'scenario', doc: 'another process binds this long after the kill (-1: never)' },
      { key: 'rebindSameDevice', type: 'bool', default: true, group: 'scenario', doc: 'the other process binds a queue of the same device (true) or of another device (false): PASID tables are per device' },
      COMMON_OWN.dmaJobTx(20_000),
      COMMON_OWN.faultRate(0.01),
      COMMON_OWN.priCredits(32),
    ],
    { lockedMemory: 0, dmaStopMs: 1 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    const driverLock = new Mutex(sim, 'uacce_mm->lock');
    const { proc } = svaProcess(k, {
      comm: 'accel-app',
      anonMiB: 128,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock,
      stopsDma: p.driverStopsDma as boolean,
    });
    const killAtNs = ms(p.killAtMs as number);
    killAt(k, proc, killAtNs);
    const rebind = p.rebindAfterMs as number;
    if (rebind >= 0) {
      svaProcess(k, {
        comm: 'next-app',
        anonMiB: 128,
        dev: p.rebindSameDevice ? 'accel0 q1' : 'accel1 q0',
        job: { transactions: 0, faultRate: 0 },
        priCredits: p.priCredits as number,
        driverLock,
        startAfter: killAtNs + ms(rebind),
      });
    }
    return k;
  },
};
