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
  invalidate_range(t: Task, mm: MmStruct, start: number, end: number): Gen {
    return this.sva.invalidate_range(t, this, mm, start, end);
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
      // PASID tables are per device (intel_pasid_setup_first_level(iommu, dev, ...), the SMMUv3
      // master's CD table): every newly bound device gets its own entry.
      yield* k.iommu.setup_entry(t, dev, ioMm.pasidNum, mm);
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
        yield* k.iommu.tear_down_entry(t, bond.dev, pasid, false);
        this.drainRetries += yield* k.iommu.drain_prq(t, bond.dev, pasid);
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
      yield* k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, false);
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
    // list_for_each_entry_rcu(sdev, &svm->devs, list) intel_pasid_tear_down_entry(..., true): each device's entry.
    for (const bond of ioMm.bonds) yield* this.k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, true);
  }

  /**
   * The SVA notifier's invalidate_range, called by mmu_notifier_invalidate_range when pages are
   * unmapped (the OOM reaper's __oom_reap_task_mm; munmap, migration... in general) before they are
   * freed: for every device still attached, IOTLB and ATC invalidation of the range. The SVA series
   * v4 io_mm_invalidate_range (iommu-sva.c: for each bond on io_mm->devices), Intel
   * intel_invalidate_range → intel_flush_svm_range (svm.c: for each sdev on svm->devs), SMMUv3
   * arm_smmu_mm_invalidate_range (arm-smmu-v3-sva.c).
   */
  *invalidate_range(t: Task, ioMm: IoMm, mm: MmStruct, start: number, end: number): Gen {
    const k = this.k;
    const fn = k.cfg.mmExit ? 'io_mm_invalidate_range' : k.iommu.flavour === 'smmuv3' ? 'arm_smmu_mm_invalidate_range' : 'intel_invalidate_range';
    yield* k.sim.call(t, fn, this.invalidate_bonds(t, ioMm, start, end), { a: mm.actor, b: ioMm.pasidNum });
  }

  private *invalidate_bonds(t: Task, ioMm: IoMm, start: number, end: number): Gen {
    // A bond detached by the mm_exit model's release is off io_mm->devices (io_mm_detach_locked).
    for (const bond of ioMm.bonds) if (!bond.detached) yield* this.k.iommu.invalidate_range(t, bond.dev, ioMm.pasidNum, start, end);
  }
}
