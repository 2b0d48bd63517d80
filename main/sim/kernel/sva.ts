import { KIND } from '../events';
import type { Mutex } from '../sync';
import type { Gen, Task } from '../task';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { mmu_notifier_register, mmu_notifier_unregister, type MmuNotifierSub } from './mmu_notifier';

/** What a driver gives bind(): its mm_exit callback (the pre-v5.8 iommu_sva_ops). */
export interface SvaDriverOps {
  readonly name: string;
  mm_exit(t: Task): Gen;
}

/** A device bound to an mm (struct iommu_bond / intel_svm_dev). */
export class Bond {
  users = 1;
  /** release() has already detached it (mm_exit model). */
  detached = false;
  readonly actor: number;
  constructor(
    readonly ioMm: IoMm,
    readonly dev: string,
    readonly ops: SvaDriverOps,
    k: Kernel,
  ) {
    this.actor = k.sim.actor(`bond ${dev} pasid ${ioMm.pasidNum}`, 'iommu');
  }
}

/**
 * The per-mm SVA context (io_mm in the v4 series, intel_svm in mainline): one PASID, one MMU
 * notifier subscription, the bonds of every device bound to the mm.
 */
export class IoMm implements MmuNotifierSub {
  readonly name = 'iommu_sva';
  linked = false;
  readonly bonds: Bond[] = [];
  constructor(
    private readonly sva: Sva,
    readonly mm: MmStruct,
    readonly pasidNum: number,
  ) {}
  pasid(): number {
    return this.pasidNum;
  }
  release(t: Task, mm: MmStruct): Gen {
    return this.sva.release(t, this, mm);
  }
}

/**
 * The SVA layer: bind, unbind, and the MMU-notifier release() in both designs.
 * `lock` is iommu_sva_lock (v4 series) / pasid_mutex (intel-svm): bind and unbind take it, and in
 * the mm_exit model so does release().
 */
export class Sva {
  private readonly byPasid = new Map<number, IoMm>();
  private readonly byMm = new Map<MmStruct, IoMm>();
  drainRetries = 0;

  constructor(
    private readonly k: Kernel,
    readonly lock: Mutex,
  ) {}

  ioMmByPasid(pasid: number): IoMm | undefined {
    return this.byPasid.get(pasid);
  }

  /**
   * iommu_sva_bind_device: under the lock, reuse the mm's context (users++) or allocate a PASID,
   * register the notifier (mmgrab) and write the PASID entry. Returns null when no PASID is left.
   */
  *bind(t: Task, dev: string, mm: MmStruct, ops: SvaDriverOps): Gen<Bond | null> {
    const k = this.k;
    k.sim.emit(KIND.fn_begin, t.actor, mm.actor, 0, { fn: 'iommu_sva_bind_device', dev });
    yield* this.lock.lock(t);
    let ioMm = this.byMm.get(mm);
    if (!ioMm) {
      let pasid: number;
      if (k.cfg.pasidPerMm) {
        // ~v5.18 iommu_sva_alloc_pasid: the mm keeps its PASID until __mmdrop.
        if (mm.pasid === 0) mm.pasid = k.iommu.pasids.alloc(mm.actor);
        pasid = mm.pasid;
      } else pasid = k.iommu.pasids.alloc(mm.actor);
      if (pasid === 0) {
        this.lock.unlock(t);
        k.sim.emit(KIND.fn_end, t.actor, mm.actor, 0, { fn: 'iommu_sva_bind_device', err: 'ENOSPC' });
        return null;
      }
      ioMm = new IoMm(this, mm, pasid);
      yield* mmu_notifier_register(k, t, ioMm, mm);
      this.byMm.set(mm, ioMm);
      this.byPasid.set(pasid, ioMm);
    }
    let bond = ioMm.bonds.find((b) => b.dev === dev);
    if (bond) bond.users++;
    else {
      bond = new Bond(ioMm, dev, ops, k);
      ioMm.bonds.push(bond);
      if (ioMm.bonds.length === 1) yield* k.iommu.setup_entry(ioMm.pasidNum, mm);
    }
    k.sim.emit(KIND.bond, bond.actor, bond.users, ioMm.pasidNum);
    this.lock.unlock(t);
    k.sim.emit(KIND.fn_end, t.actor, mm.actor, ioMm.pasidNum, { fn: 'iommu_sva_bind_device', dev });
    return bond;
  }

  /**
   * iommu_sva_unbind_device. The driver has stopped DMA before calling it. Under the lock: users--;
   * the last user tears the entry down with faults reported again and drains page requests; the
   * last device frees the PASID and unregisters the notifier (synchronize_srcu, mmdrop).
   */
  *unbind(t: Task, bond: Bond): Gen {
    const k = this.k;
    const ioMm = bond.ioMm;
    const pasid = ioMm.pasidNum;
    k.sim.emit(KIND.fn_begin, t.actor, ioMm.mm.actor, pasid, { fn: 'iommu_sva_unbind_device', dev: bond.dev });
    yield* this.lock.lock(t);
    bond.users--;
    k.sim.emit(KIND.bond, bond.actor, bond.users, pasid);
    if (bond.users === 0) {
      ioMm.bonds.splice(ioMm.bonds.indexOf(bond), 1);
      if (!bond.detached) {
        yield* k.iommu.tear_down_entry(pasid, false);
        this.drainRetries += yield* k.iommu.drain_prq(t, pasid);
      }
      if (ioMm.bonds.length === 0) {
        this.byMm.delete(ioMm.mm);
        this.byPasid.delete(pasid);
        if (!k.cfg.pasidPerMm) k.iommu.pasids.free(pasid, ioMm.mm.actor);
        yield* mmu_notifier_unregister(k, t, ioMm, ioMm.mm);
      }
    }
    this.lock.unlock(t);
    k.sim.emit(KIND.fn_end, t.actor, ioMm.mm.actor, pasid, { fn: 'iommu_sva_unbind_device', dev: bond.dev });
  }

  /** The notifier's release(), called from exit_mmap (or from unregister if exit_mmap has not run). */
  *release(t: Task, ioMm: IoMm, mm: MmStruct): Gen {
    if (this.k.cfg.mmExit) yield* this.io_mm_release(t, ioMm);
    else yield* this.quiet_release(t, ioMm, mm);
  }

  /**
   * The mm_exit model (SVA series v4, iommu-sva.c io_mm_release): under iommu_sva_lock, for each
   * bond: the driver's mm_exit() stops DMA (and may sleep for minutes), iopf_queue_flush_dev()
   * waits for every queued fault, then the bond is detached (entry cleared, caches invalidated).
   */
  private *io_mm_release(t: Task, ioMm: IoMm): Gen {
    const k = this.k;
    yield* this.lock.lock(t);
    for (const bond of ioMm.bonds) {
      if (bond.detached) continue;
      k.sim.emit(KIND.fn_begin, t.actor, ioMm.mm.actor, ioMm.pasidNum, { fn: `${bond.ops.name}.mm_exit` });
      yield* bond.ops.mm_exit(t);
      k.sim.emit(KIND.fn_end, t.actor, ioMm.mm.actor, ioMm.pasidNum, { fn: `${bond.ops.name}.mm_exit` });
      k.sim.emit(KIND.fn_begin, t.actor, ioMm.mm.actor, ioMm.pasidNum, { fn: 'iopf_queue_flush_dev' });
      yield* k.iommu.iopf.wq.flush_workqueue(t);
      k.sim.emit(KIND.fn_end, t.actor, ioMm.mm.actor, ioMm.pasidNum, { fn: 'iopf_queue_flush_dev' });
      yield* k.iommu.tear_down_entry(ioMm.pasidNum, false);
      bond.detached = true;
    }
    this.lock.unlock(t);
  }

  /**
   * The quiet model (v5.8 intel_mm_release / arm_smmu_mm_release): no lock, no driver callback;
   * the entry goes not-present with faults ignored and the caches are invalidated. The PASID stays
   * allocated until unbind.
   */
  private *quiet_release(t: Task, ioMm: IoMm, mm: MmStruct): Gen {
    void mm;
    if (ioMm.bonds.length > 0) yield* this.k.iommu.tear_down_entry(ioMm.pasidNum, true);
  }
}
