import type { Sim } from '../engine';
import type { Kernel, Proc } from '../kernel/kernel';
import type { Params } from '../params';
import type { Gen, Task } from '../task';
import { COMMON_OWN, makeKernel, ms, Mutex, paramsWith, sec, svaProcess, type Scenario } from './scenario';

export const stress: Scenario = {
  id: 'stress',
  title: 'Stress: many processes and devices, random binds, faults and kills',
  story:
    'A population of processes binds accelerators, runs DMA jobs with random fault rates and is killed at random; ' +
    'each dead process is replaced by a new one. It exercises every path at volume and is meant for benchmarks: ' +
    'the run stops after about `events` events.',
  params: paramsWith(
    [
      { key: 'events', type: 'int', default: 1_000_000, min: 1000, max: 200_000_000, group: 'scenario', doc: 'approximate number of events to generate' },
      { key: 'processes', type: 'int', default: 16, min: 1, max: 10_000, group: 'scenario', doc: 'processes alive at once' },
      { key: 'devices', type: 'int', default: 4, min: 1, max: 256, group: 'scenario', doc: 'accelerators the processes share' },
      { key: 'meanLifeMs', type: 'number', default: 50, min: 0.1, max: 600_000, unit: 'ms', group: 'scenario', doc: 'mean lifetime of a process before a random SIGKILL' },
      COMMON_OWN.priCredits(32),
    ],
    { lockedMemory: 0, dmaStopMs: 0.5 },
  ),
  horizon: () => sec(1_000_000),
  eventBudget: (p) => p.events as number,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 1_048_576);
    const rng = sim.rng.get('workload');
    const locks: Mutex[] = [];
    for (let d = 0; d < (p.devices as number); d++) locks.push(new Mutex(sim, `uacce_mm->lock accel${d}`));
    let serial = 0;
    const meanLife = ms(p.meanLifeMs as number);
    const spawnOne = (): Proc => {
      const i = serial++;
      const d = rng.int(0, locks.length - 1);
      const { proc } = svaProcess(k, {
        comm: `p${i}`,
        anonMiB: rng.int(1, 64),
        dev: `accel${d} q${i}`,
        job: { transactions: rng.int(100, 5000), faultRate: rng.float() * 0.3 },
        priCredits: p.priCredits as number,
        driverLock: locks[d],
      });
      return proc;
    };
    for (let i = 0; i < (p.processes as number); i++) spawnOne();
    // The killer: SIGKILL a random live process, then start a replacement.
    const n = p.processes as number;
    k.kthread('chaos-killer', function* (t: Task): Gen {
      for (;;) {
        yield* k.sim.sleep(t, Math.max(1, Math.round(rng.exp(meanLife / n))), 'msleep', true);
        const live = k.procs.filter((pr) => !pr.killed);
        if (live.length > 0) k.sigkillProcess(live[rng.int(0, live.length - 1)], 'chaos-killer');
        spawnOne();
      }
    });
    return k;
  },
};
