import { designOf } from '../design';
import type { Sim } from '../engine';
import { kernelConfig, KERNEL_PARAMS } from '../kernel/config';
import type { DmaJob } from '../kernel/device';
import type { IdxdWq } from '../kernel/idxd';
import { Kernel, type KernelOptions, type Proc } from '../kernel/kernel';
import { Mutex } from '../sync';
import type { Gen, Task } from '../task';
import { UacceQueue } from '../kernel/uacce';
import type { ParamSpec, Params, ParamValue } from '../params';
import { ms, sec, type Ns } from '../time';

/**
 * A scenario: a machine set up from parameters, something that happens to it, and a horizon.
 * `build` creates processes and devices; the model does the rest.
 */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** What it shows and what to look at, in a few sentences. */
  readonly story: string;
  readonly params: readonly ParamSpec[];
  /** Upper bound of virtual time; most runs end earlier, when nothing is left to happen. */
  horizon(p: Params): Ns;
  /** Create the machine and its workload; the runner starts the daemons and the clock. */
  build(sim: Sim, p: Params): Kernel;
  /** Approximate event budget (stress only). */
  eventBudget?(p: Params): number;
  /**
   * The scenario runs the machine out of memory, so the OOM killer's settings matter: only then
   * does reaperDelayMs count when the summary's `warnings` check the settings against the kernels.
   */
  readonly usesOomKiller?: boolean;
}

/**
 * A scenario's default for a shared parameter: one value, or for a switch whose default follows the
 * design (`byDesign`), the value for either design (the other keeps the shared default).
 */
export type SharedDefault = ParamValue | { readonly mm_exit?: ParamValue; readonly quiet?: ParamValue };

/**
 * The scenario's own parameters followed by the shared kernel parameters with this scenario's
 * defaults. A switch with a `byDesign` default gets `default` = its value for the scenario's default
 * design, and its doc says what the other design uses.
 */
export function paramsWith(own: readonly ParamSpec[], defaults: Record<string, SharedDefault> = {}): ParamSpec[] {
  const mmExitSpec = KERNEL_PARAMS.find((s) => s.key === 'mmExit');
  const design = designOf({ mmExit: 'mmExit' in defaults ? defaults.mmExit : mmExitSpec?.default });
  const shared = KERNEL_PARAMS.map((s): ParamSpec => {
    const d = defaults[s.key];
    if (!s.byDesign) {
      if (d !== undefined && typeof d === 'object') throw new Error(`paramsWith: '${s.key}' has no default by design`);
      return d === undefined ? s : { ...s, default: d };
    }
    const byDesign = d === undefined ? s.byDesign : typeof d === 'object' ? { ...s.byDesign, ...d } : { mm_exit: d, quiet: d };
    const doc = byDesign.mm_exit === byDesign.quiet ? s.doc : `${s.doc}. Default by design: ${String(byDesign.mm_exit)} with mmExit=true, ${String(byDesign.quiet)} with mmExit=false`;
    return { ...s, default: byDesign[design], byDesign, doc };
  });
  return [...own, ...shared];
}

export function makeKernel(sim: Sim, p: Params, totalMiB: number, opts: KernelOptions = {}): Kernel {
  return new Kernel(sim, kernelConfig(p), totalMiB, opts);
}

export const COMMON_OWN = {
  killAtMs: (def: number, doc = 'when the process gets SIGKILL'): ParamSpec => ({
    key: 'killAtMs', type: 'number', default: def, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc,
  }),
  dmaJobTx: (def: number): ParamSpec => ({
    key: 'dmaJobTx', type: 'int', default: def, min: 0, max: 10_000_000, group: 'scenario', doc: 'DMA transactions the device job issues before idling',
  }),
  faultRate: (def: number): ParamSpec => ({
    key: 'faultRate', type: 'number', default: def, min: 0, max: 1, group: 'scenario', doc: 'probability that a transaction touches a page not yet present (ATS R=W=0, then a PRI page request)',
  }),
  priCredits: (def: number): ParamSpec => ({
    key: 'priCredits', type: 'int', default: def, min: 1, max: 512, group: 'cost', doc: 'outstanding page requests a device may have before it stalls',
  }),
};

/**
 * The device job of a scenario with the common parameters `dmaJobTx` and `faultRate` (COMMON_OWN),
 * and `unmappedRate` (DEVICE_OWN) where the scenario has it; `over` sets any of them itself.
 */
export function dmaJob(p: Params, over: Partial<DmaJob> = {}): DmaJob {
  const job: DmaJob = { transactions: p.dmaJobTx as number, faultRate: p.faultRate as number };
  if (p.unmappedRate !== undefined) job.unmappedRate = p.unmappedRate as number;
  return { ...job, ...over };
}

/**
 * The bind: `open` (a device file's open, which binds the process's mm). If it fails (no PASID
 * left), the process says so and idles until killed, and this returns false.
 */
function* bound(k: Kernel, t: Task, p: Proc, open: Gen<boolean>): Gen<boolean> {
  if (yield* open) return true;
  k.note(`${p.comm}:${p.tgid}: bind failed, no PASID left`);
  yield* k.sim.userIdle(t);
  return false;
}

/** open(2) of an idxd work queue (idxd_cdev_open binds) and `job` submitted; false if the bind failed (see `bound`). */
export function* openWqAndStart(k: Kernel, t: Task, p: Proc, wq: IdxdWq, job: DmaJob): Gen<boolean> {
  if (!(yield* bound(k, t, p, k.syscall(t, '__x64_sys_openat', wq.open(t, p))))) return false;
  wq.start(job);
  return true;
}

export interface SvaProcOptions {
  comm: string;
  anonMiB: number;
  lockedMiB?: number;
  oomScoreAdj?: number;
  dev: string;
  job: DmaJob;
  priCredits: number;
  driverLock: Mutex;
  stopsDma?: boolean;
  /**
   * Close the queue file this long after the job starts (-1 or absent: never, the process keeps
   * it). Without `munmap` the VMA still holds a file reference until exit.
   */
  closeAfter?: Ns;
  /** munmap the queue before closing it, so that the close is the last reference (the tidy path). */
  munmap?: boolean;
  /** Called just before the close. */
  onClose?: (q: UacceQueue, p: Proc) => void;
  /** After the close, run this long in user mode and exit (absent: compute until killed). */
  exitAfterClose?: Ns;
  onBound?: (q: UacceQueue, p: Proc) => void;
  /** Run user code this long before opening the device. */
  startAfter?: Ns;
}

/**
 * A process using an accelerator through SVA: open the uacce queue (bind), mmap it, start a DMA
 * job, then run in user mode until killed.
 */
export function svaProcess(k: Kernel, o: SvaProcOptions): { proc: Proc; queue: UacceQueue } {
  const queue = new UacceQueue(k, o.dev, { stopsDma: o.stopsDma ?? true, lock: o.driverLock, priCredits: o.priCredits });
  const proc = k.createProcess({
    comm: o.comm,
    anonMiB: o.anonMiB,
    lockedMiB: o.lockedMiB,
    oomScoreAdj: o.oomScoreAdj,
    body: function* (kk: Kernel, t: Task, p: Proc): Gen {
      if (o.startAfter) yield* kk.sim.user(t, o.startAfter);
      if (!(yield* bound(kk, t, p, queue.open(t, p)))) return;
      queue.mmap(p);
      queue.start(o.job);
      o.onBound?.(queue, p);
      if (o.closeAfter !== undefined && o.closeAfter >= 0) {
        yield* kk.sim.user(t, o.closeAfter);
        o.onClose?.(queue, p);
        if (o.munmap) yield* queue.munmap(t, p);
        // close(fd); without munmap the VMA still holds a reference until exit.
        const i = p.files.indexOf(queue.file!);
        if (i >= 0) p.files.splice(i, 1);
        kk.fput(t, queue.file!);
        // Return to user mode runs task_work: the last fput's ____fput, the driver's release.
        const works = kk.taskWork.get(t) ?? [];
        while (works.length > 0) yield* works.shift()!(t);
        if (o.exitAfterClose !== undefined) {
          yield* kk.sim.user(t, o.exitAfterClose);
          return; // exit(0): do_exit follows
        }
      }
      for (;;) yield* kk.sim.userIdle(t, 'user: computing');
    },
  });
  return { proc, queue };
}

/** A plain process that computes in user mode until killed. */
export function plainProcess(k: Kernel, comm: string, anonMiB: number, oomScoreAdj = 0): Proc {
  return k.createProcess({
    comm,
    anonMiB,
    oomScoreAdj,
    body: function* (kk: Kernel, t: Task): Gen {
      for (;;) yield* kk.sim.userIdle(t, 'user: computing');
    },
  });
}

/** SIGKILL from userspace (kill -9) at an absolute time. */
export function killAt(k: Kernel, p: Proc, at: Ns, by = 'kill -9'): void {
  k.sim.at(at, () => {
    if (!p.killed) k.sigkillProcess(p, by);
  });
}

export const DEFAULT_HORIZON = sec(3600);
export { ms, sec };
export { Mutex };
