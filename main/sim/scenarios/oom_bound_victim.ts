import { alloc_pages } from '../kernel/page_alloc';
import { PAGES_PER_MIB, type Kernel } from '../kernel/kernel';
import { OOM_SCORE_ADJ_MIN } from '../kernel/oom';
import type { Params } from '../params';
import type { Gen, Task } from '../task';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, makeKernel, Mutex, paramsWith, plainProcess, svaProcess, type Scenario } from './scenario';
import type { Sim } from '../engine';

/** Memory the kernel itself keeps (not available to processes). */
const KERNEL_RESERVED_MIB = 512;
/** The hog allocates in 16 MiB steps; clearing a page costs about 250 ns. */
const HOG_CHUNK_PAGES = 16 * PAGES_PER_MIB;
const CLEAR_NS_PER_PAGE = 250;

export const oomBoundVictim: Scenario = {
  id: 'oom-bound-victim',
  title: 'OOM kill of an SVA-bound process with locked memory',
  story:
    'A protected service allocates until the machine is out of memory. The OOM killer picks the largest process: ' +
    'it has an accelerator bound through SVA and mlocked memory the reaper cannot free. The reaper frees what it can ' +
    'and sets MMF_OOM_SKIP within milliseconds. With mm_exit, release() waits for the device to stop, so the locked ' +
    'memory stays pinned and the next allocation failure kills an innocent process; release() then frees the PASID ' +
    '(v4 io_mm_release). With the quiet release the memory comes back at once and one victim is enough, while the ' +
    'PASID outlives the memory until the driver\'s unbind, which also waits for the device to stop. If nothing ' +
    'killable is left, the kernel panics ("System is deadlocked on memory") and the run ends there.',
  params: paramsWith(
    [
      { key: 'totalMemoryMiB', type: 'int', default: 8192, min: 1024, max: 1_048_576, unit: 'MiB', group: 'scenario', doc: 'RAM of the machine' },
      { key: 'victimAnonMiB', type: 'int', default: 512, min: 0, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'ordinary (reapable) memory of the SVA-bound process' },
      { key: 'bystanders', type: 'int', default: 6, min: 0, max: 200, group: 'scenario', doc: 'other processes, candidates for innocent OOM kills' },
      { key: 'bystanderMiB', type: 'int', default: 400, min: 1, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'mean size of a bystander (each drawn within ±25%)' },
      { key: 'pressureMiB', type: 'int', default: 768, min: 1, max: 1_048_576, unit: 'MiB', group: 'scenario', doc: 'how much more than the free memory the service wants' },
      { key: 'mmapLockHeldMs', type: 'number', default: 0, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'a thread of the victim holds mmap_lock for write this long when the kill comes (the reaper\'s trylock fails meanwhile)' },
      COMMON_OWN.dmaJobTx(5000),
      COMMON_OWN.faultRate(0.01),
      COMMON_OWN.priCredits(32),
    ],
    { dmaStopMs: 5000 },
  ),
  horizon: () => DEFAULT_HORIZON,
  usesOomKiller: true,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, p.totalMemoryMiB as number);
    const rng = k.sim.rng.get('workload');
    k.reserve(KERNEL_RESERVED_MIB * PAGES_PER_MIB);
    const driverLock = new Mutex(k.sim, 'uacce_mm->lock');
    const { proc: victim } = svaProcess(k, {
      comm: 'accel-app',
      anonMiB: p.victimAnonMiB as number,
      lockedMiB: k.cfg.lockedMiB,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock,
    });
    const mean = p.bystanderMiB as number;
    for (let i = 0; i < (p.bystanders as number); i++) {
      plainProcess(k, `worker${i}`, Math.max(1, Math.round(mean * (0.75 + 0.5 * rng.float()))));
    }
    const holdMs = p.mmapLockHeldMs as number;
    if (holdMs > 0) {
      // A second thread of the victim is inside munmap() (mmap_lock held for write) when the OOM
      // kill comes, and finishes `mmapLockHeldMs` after it: until then the reaper's trylock fails.
      k.kthread('accel-app-munmap', function* (t: Task): Gen {
        yield* k.sim.sleep(t, 10_000_000, 'msleep', true);
        const mm = victim.mm!;
        yield* mm.mmapLock.down_write(t);
        while (k.triggerAt === null) yield 1_000_000;
        yield Math.round(holdMs * 1_000_000);
        mm.mmapLock.up_write(t);
      });
    }
    const pressure = (p.pressureMiB as number) * PAGES_PER_MIB;
    k.createProcess({
      comm: 'db-service',
      anonMiB: 256,
      oomScoreAdj: OOM_SCORE_ADJ_MIN,
      body: function* (kk: Kernel, t: Task): Gen {
        // Let the accelerator job get going, then allocate until pressure is met.
        yield* kk.sim.user(t, 20_000_000);
        const want = kk.freePages + pressure;
        let got = 0;
        while (got < want) {
          const n = Math.min(HOG_CHUNK_PAGES, want - got);
          const ok = yield* alloc_pages(kk, t, n);
          if (!ok) break;
          yield n * CLEAR_NS_PER_PAGE;
          const mm = kk.taskMm.get(t);
          if (mm) {
            mm.anonPages += n;
            mm.emitPages();
          }
          got += n;
        }
        kk.note(`db-service: allocated ${got / PAGES_PER_MIB} MiB of ${want / PAGES_PER_MIB} MiB`);
        for (;;) yield* kk.sim.userIdle(t, 'user: serving');
      },
    });
    return k;
  },
};
