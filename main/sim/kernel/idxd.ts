import type { Gen, Task } from '../task';
import { DmaEngine, type DmaJob } from './device';
import { File, type Kernel, type Proc } from './kernel';
import { KERN_WARNING } from './printk';
import type { Bond, SvaDriverOps } from './sva';

/**
 * An Intel DSA work queue opened through its character device (drivers/dma/idxd/cdev.c, SVA from
 * v5.11): open binds the process's mm (iommu_sva_bind_device), the process submits descriptors
 * that the device runs under the PASID, and the file's release (idxd_cdev_release) drains the work
 * queue and unbinds. The wq drain is modelled as the engine's stop (dmaStop).
 */
export class IdxdWq implements SvaDriverOps {
  readonly name: string;
  /** idxd has no mm_exit callback (it came after v5.8's removal); the mm_exit model gets the drain. */
  readonly mmExitFn = 'idxd_wq_drain';
  bond: Bond | null = null;
  file: File | null = null;
  readonly engine: DmaEngine;

  constructor(
    private readonly k: Kernel,
    dev: string,
    priCredits: number,
  ) {
    this.name = dev;
    this.engine = new DmaEngine(k, dev, 0, priCredits);
    k.lockdep.modules.add('idxd');
  }

  /** idxd_cdev_open: bind the opener's mm; false when no PASID is left. */
  *open(t: Task, p: Proc): Gen<boolean> {
    const mm = p.mm;
    if (!mm) return false;
    this.bond = yield* this.k.sim.call(t, 'idxd_cdev_open', this.k.sva.bind(t, this.name, mm, this), { a: mm.actor });
    if (!this.bond) return false;
    this.engine.pasid = this.bond.ioMm.pasidNum;
    this.engine.owner = mm;
    this.file = new File(`idxd ${this.name}`, (tt) => this.release(tt));
    p.files.push(this.file);
    return true;
  }

  start(job: DmaJob): void {
    this.engine.start(job);
  }

  *mm_exit(t: Task): Gen {
    if (this.engine.running) yield* this.engine.stop(t);
  }

  release(t: Task): Gen {
    return this.k.sim.call(t, 'idxd_cdev_release', this.cdev_release(t), { b: this.engine.pasid, args: { dev: this.name } });
  }

  /**
   * idxd_cdev_release: drain the wq (the device finishes or aborts what it has), then
   * iommu_sva_unbind_device. The "unbind PASID n" line log 04 shows just before the splat is a
   * dev_dbg whose call site is not confirmed from source; the model prints it here, before unbind.
   */
  private *cdev_release(t: Task): Gen {
    if (this.engine.running) yield* this.engine.stop(t);
    const b = this.bond;
    if (!b) return;
    this.bond = null;
    this.k.log.printk(KERN_WARNING, `idxd 0000:${this.engine.dev.bdf}: unbind PASID ${b.ioMm.pasidNum}`);
    yield* this.k.sva.unbind(t, b);
  }
}
