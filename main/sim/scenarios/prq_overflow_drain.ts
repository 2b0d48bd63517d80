import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const prqOverflowDrain: Scenario = {
  id: 'prq-overflow-drain',
  title: 'PRQ overflow during the unbind drain',
  story:
    'Several devices fault on every transaction, enough to fill the 128-entry page request queue. A request that ' +
    'finds it full is dropped, the overflow bit set, and the hardware answers it itself; that maps nothing, so the ' +
    'device translates again, gets R=W=0 again and asks again. The PRQ thread prints "PRQ overflow detected" ' +
    '(ratelimited) and clears the bit only when a pass leaves the queue empty. One process exits; its unbind drains ' +
    'page requests for its PASID: it waits for the PRQ thread to empty the queue of that PASID, then retries its ' +
    'drain invalidation as long as the overflow bit is set. There is no timeout: the drain lasts as long as the ' +
    'others keep the queue full, so more noisy devices never make it shorter.',
  params: paramsWith(
    [
      COMMON_OWN.killAtMs(2),
      { key: 'noisyDevices', type: 'int', default: 3, min: 0, max: 64, group: 'scenario', doc: 'other processes whose devices fault on every transaction' },
      { key: 'noisyJobTx', type: 'int', default: 1000, min: 0, max: 10_000_000, group: 'scenario', doc: 'transactions each noisy device issues' },
      COMMON_OWN.dmaJobTx(2000),
      COMMON_OWN.faultRate(0.5),
      COMMON_OWN.priCredits(32),
    ],
    { lockedMemory: 0, dmaStopMs: 1, prqHandleUs: 2, dmaIntervalUs: 2 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 8192);
    const driverLock = new Mutex(sim, 'uacce_mm->lock');
    const { proc } = svaProcess(k, { comm: 'accel-app', anonMiB: 64, dev: 'accel0 q0', job: dmaJob(p), priCredits: p.priCredits as number, driverLock });
    for (let i = 0; i < (p.noisyDevices as number); i++) {
      svaProcess(k, {
        comm: `noisy${i}`,
        anonMiB: 64,
        dev: `accel${i + 1} q0`,
        job: { transactions: p.noisyJobTx as number, faultRate: 1 },
        priCredits: p.priCredits as number,
        driverLock,
      });
    }
    killAt(k, proc, ms(p.killAtMs as number));
    return k;
  },
};
