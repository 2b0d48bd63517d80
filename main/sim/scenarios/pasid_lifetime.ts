import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { COMMON_OWN, DEFAULT_HORIZON, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const pasidLifetime: Scenario = {
  id: 'pasid-lifetime',
  title: 'PASID lifetime: PASIDs held by dead mms (freed at exit, at unbind, or at mmdrop)',
  story:
    'Short-lived processes bind an accelerator and die; a helper that inherited their queue descriptors closes them ' +
    'only after a delay, so unbind comes late. In the mm_exit model (v4 series) release() stops the device and frees ' +
    'the PASID at exit (io_mm_free, one SRCU grace period later): the late unbind finds its bond detached, and no ' +
    'bind fails. In the quiet model the notifier holds an mmgrab and the PASID stays allocated until unbind although ' +
    'the address space is gone (v5.8, pasidPerMm=false); with the ~v5.18 lifetime (the default here) it is released ' +
    'only at mmdrop, when mm_count reaches 0, so any other mm_count holder (an idle CPU keeping the dead mm as its ' +
    'lazy-TLB active_mm) extends it past unbind. With a narrow PASID space, new processes fail to bind.',
  params: paramsWith(
    [
      { key: 'processes', type: 'int', default: 40, min: 1, max: 10_000, group: 'scenario', doc: 'short-lived processes started one after another' },
      { key: 'arrivalMs', type: 'number', default: 10, min: 0.01, max: 600_000, unit: 'ms', group: 'scenario', doc: 'time between two process starts' },
      { key: 'lifetimeMs', type: 'number', default: 20, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'how long each process lives before SIGKILL' },
      { key: 'unbindDelayMs', type: 'number', default: 200, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'the helper closes its copy of a queue descriptor this long after the process died' },
      COMMON_OWN.priCredits(32),
    ],
    // The quiet design runs ~v5.18 here (per-mm PASID); flipping mmExit gives the v4 series, which
    // had none. Nothing runs out of memory, so the reaper's settings do not matter.
    { pasidPerMm: { quiet: true }, pasidBits: 4, lockedMemory: 0, dmaStopMs: 1, lazyTlbHoldMs: 300 },
  ),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 16_384);
    const driverLock = new Mutex(sim, 'uacce_mm->lock');
    const n = p.processes as number;
    const arrival = ms(p.arrivalMs as number);
    const life = ms(p.lifetimeMs as number);
    const delay = ms(p.unbindDelayMs as number);
    for (let i = 0; i < n; i++) {
      const start = i * arrival;
      const { proc, queue } = svaProcess(k, {
        comm: `job${i}`,
        anonMiB: 16,
        dev: `accel0 q${i}`,
        job: { transactions: 50, faultRate: 0 },
        priCredits: p.priCredits as number,
        driverLock,
        startAfter: start,
        onBound: (q, pr) => {
          // A helper inherited the descriptor (fork, SCM_RIGHTS): one more file reference.
          if (q.file) k.fget(q.file);
          void pr;
        },
      });
      killAt(k, proc, start + life);
      // The helper closes its copy `unbindDelayMs` after the death: then the last fput runs release.
      k.sim.at(start + life + delay, () => {
        const f = queue.file;
        if (f && f.refs > 0) {
          k.kthread(`helper-close-${i}`, function* (t) {
            k.fput(t, f);
            yield 0;
          });
        }
      });
    }
    return k;
  },
};
