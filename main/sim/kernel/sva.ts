import { KIND } from '../events';
import { Mutex } from '../sync';
import type { Gen, Task } from '../task';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { mmu_notifier_get, mmu_notifier_put, mmu_notifier_register, mmu_notifier_unregister, type MmuNotifierSub } from './mmu_notifier';

/** What a driver gives bind(): its mm_exit callback (the pre-v5.8 iommu_sva_ops). */
export interface SvaDriverOps {
  readonly name: string;
  /** The kernel name of the callback, for the trace (uacce: uacce_sva_exit). */
  readonly mmExitFn: string;
  mm_exit(t: Task): Gen;
}

/**
 * Which SVA code the kernel runs:
 * - `iommu-sva`: the mm_exit model, the v4 SVA series (J-P. Brucker, Feb 2020, never merged):
 *   drivers/iommu/iommu-sva.c (io_mm, iommu_sva_lock, io_mm_release) and io-pgfault.c;
 * - `intel-svm`: the quiet model on VT-d, drivers/iommu/intel/svm.c (v5.8: pasid_mutex,
 *   intel_mm_release under RCU);
 * - `arm-smmu-v3-sva`: the quiet model on SMMUv3, drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c
 *   (v5.11+: sva_lock, arm_smmu_mm_release writes a quiet context descriptor).
 * The mm_exit model runs the v4 generic paths whatever the IOMMU (the series drove SMMUv3; no
 * kernel ran them on VT-d): a departure the lab accepts to compare designs on one machine.
 */
export type SvaImpl = 'iommu-sva' | 'intel-svm' | 'arm-smmu-v3-sva';

const IMPL = {
  'iommu-sva': { lock: 'iommu_sva_lock', ops: 'iommu_mmu_notifier_ops', release: 'io_mm_release', bind: 'iommu_sva_bind_generic', unbind: 'iommu_sva_unbind_generic' },
  'intel-svm': { lock: 'pasid_mutex', ops: 'intel_mmuops', release: 'intel_mm_release', bind: 'intel_svm_bind', unbind: 'intel_svm_unbind' },
  'arm-smmu-v3-sva': { lock: 'sva_lock', ops: 'arm_smmu_mmu_notifier_ops', release: 'arm_smmu_mm_release', bind: 'arm_smmu_sva_bind', unbind: 'arm_smmu_sva_unbind' },
} as const;

/** A device bound to an mm (struct iommu_bond in the v4 series, intel_svm_dev, arm_smmu_bond). */
export class Bond {
  /** bond->refs (v4, SMMUv3) / sdev->users (Intel): binds of this device to this mm. */
  users = 1;
  /** v4 io_mm_detach_locked has run (bond->io_mm is NULL): release() got there before unbind. */
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
 * The per-mm SVA context with its MMU notifier: io_mm in the v4 series, intel_svm on VT-d,
 * arm_smmu_mmu_notifier on SMMUv3. One PASID, the bonds of every device bound to the mm.
 */
export class IoMm implements MmuNotifierSub {
  linked = false;
  users = 1;
  readonly bonds: Bond[] = [];
  /** arm_smmu_mmu_notifier->cleared: release() has written the quiet context descriptor. */
  cleared = false;
  constructor(
    private readonly sva: Sva,
    readonly mm: MmStruct,
    readonly pasidNum: number,
  ) {}
  get ops(): string {
    return IMPL[this.sva.impl].ops;
  }
  get releaseFn(): string {
    return IMPL[this.sva.impl].release;
  }
  pasid(): number {
    return this.pasidNum;
  }
  release(t: Task, mm: MmStruct): Gen {
    return this.sva.release(t, this, mm);
  }
  free_notifier(t: Task): void {
    this.sva.free_notifier(t, this);
  }
  invalidate_range(t: Task, mm: MmStruct, start: number, end: number): Gen {
    return this.sva.invalidate_range(t, this, mm, start, end);
  }
}

/**
 * The SVA layer: bind, unbind and the MMU notifier's release() of the design and IOMMU the kernel
 * runs (`impl`). `lock` is the lock of that code: iommu_sva_lock (v4 series), pasid_mutex (Intel),
 * sva_lock (SMMUv3). bind and unbind take it; so does release() in the mm_exit model and on SMMUv3.
 */
export class Sva {
  readonly impl: SvaImpl;
  readonly lock: Mutex;
  /** iommu_sva_find / ioasid_find: the context of a PASID, until the PASID is freed. */
  private readonly byPasid = new Map<number, IoMm>();
  /** Intel's global svm list and SMMUv3's bonds, by mm (the v4 series finds the io_mm with mmu_notifier_get). */
  private readonly byMm = new Map<MmStruct, IoMm>();
  /** Each device's iommu_group->mutex, which iommu_sva_bind_device and _unbind_device hold. */
  private readonly groups = new Map<string, Mutex>();
  /**
   * Jacob Pan's v5.7-rc1 test kernel (log 05): intel_mm_release also drains page requests
   * (intel_svm_drain_prq) for each device, inside its rcu_read_lock. Never merged for that reason.
   */
  drainInRelease = false;

  constructor(private readonly k: Kernel) {
    this.impl = k.cfg.mmExit ? 'iommu-sva' : k.iommu.flavour === 'smmuv3' ? 'arm-smmu-v3-sva' : 'intel-svm';
    this.lock = new Mutex(k.sim, IMPL[this.impl].lock);
  }

  ioMmByPasid(pasid: number): IoMm | undefined {
    return this.byPasid.get(pasid);
  }

  // ------------------------------------------------------------------ PASIDs

  /** ioasid_alloc, or ~v5.18 the mm's own PASID (iommu_sva_alloc_pasid: kept until __mmdrop). 0: none left. */
  private alloc_pasid(mm: MmStruct): number {
    if (!this.k.cfg.pasidPerMm) return this.k.iommu.pasids.alloc(mm.actor);
    if (mm.pasid === 0) mm.pasid = this.k.iommu.pasids.alloc(mm.actor);
    return mm.pasid;
  }

  /** ioasid_free at the end of the context (with a per-mm PASID, __mmdrop frees it instead). */
  private free_pasid(ioMm: IoMm): void {
    this.byPasid.delete(ioMm.pasidNum);
    if (!this.k.cfg.pasidPerMm) this.k.iommu.pasids.free(ioMm.pasidNum, ioMm.mm.actor);
  }

  private emitBond(b: Bond): void {
    this.k.sim.emit(KIND.bond, b.actor, b.users, b.ioMm.pasidNum);
  }

  // ------------------------------------------------------------------ bind

  /** iommu_group_get(dev)->mutex: one group per device here (no ACS-less multi-function groups). */
  private group(queue: string): Mutex {
    const dev = this.k.iommu.deviceOf(queue).name;
    let g = this.groups.get(dev);
    if (!g) this.groups.set(dev, (g = new Mutex(this.k.sim, `iommu_group ${dev}`, '&group->mutex')));
    return g;
  }

  /** `body` with the device's group mutex held, as iommu_sva_bind_device/_unbind_device do. */
  private *underGroup<R>(t: Task, queue: string, body: Gen<R>): Gen<R> {
    const g = this.group(queue);
    yield* g.lock(t);
    const r = yield* body;
    g.unlock(t);
    return r;
  }

  /**
   * iommu_sva_bind_device (drivers/iommu/iommu.c) → the implementation's bind, under the group's
   * mutex. Returns null when no PASID is left (-ENOSPC).
   */
  *bind(t: Task, dev: string, mm: MmStruct, ops: SvaDriverOps): Gen<Bond | null> {
    const sim = this.k.sim;
    const body = this.impl === 'iommu-sva' ? this.iommu_sva_bind_generic(t, dev, mm, ops) : this.impl === 'intel-svm' ? this.intel_svm_bind(t, dev, mm, ops) : this.arm_smmu_sva_bind(t, dev, mm, ops);
    return yield* sim.call(t, 'iommu_sva_bind_device', this.underGroup(t, dev, sim.call(t, IMPL[this.impl].bind, body, { a: mm.actor })), {
      a: mm.actor,
      args: { dev },
      end: (b) => (b ? { b: b.ioMm.pasidNum } : { args: { dev, err: 'ENOSPC' } }),
    });
  }

  /**
   * v4 iommu_sva_bind_generic: io_mm_get (mmu_notifier_get with io_mm_alloc, which allocates the
   * PASID, as alloc_notifier), then io_mm_attach: under iommu_sva_lock reuse the device's bond or add
   * one, and write the PASID entry (ops->attach) after dropping the lock. Each bond holds one io_mm
   * reference. The per-device param->sva_lock is not modelled (release() never takes it).
   */
  private *iommu_sva_bind_generic(t: Task, dev: string, mm: MmStruct, ops: SvaDriverOps): Gen<Bond | null> {
    const k = this.k;
    const ioMm = yield* mmu_notifier_get(k, t, IMPL['iommu-sva'].ops, mm, () => {
      const pasid = this.alloc_pasid(mm);
      if (pasid === 0) return null;
      const created = new IoMm(this, mm, pasid);
      this.byPasid.set(pasid, created);
      return created;
    });
    if (!ioMm) return null;
    yield* this.lock.lock(t);
    const old = ioMm.bonds.find((b) => b.dev === dev);
    if (old) {
      old.users++;
      mmu_notifier_put(k, ioMm, mm);
      this.emitBond(old);
      this.lock.unlock(t);
      return old;
    }
    const bond = new Bond(ioMm, dev, ops, k);
    ioMm.bonds.push(bond);
    this.emitBond(bond);
    this.lock.unlock(t);
    // ops->attach: write this device's entry (PASID tables are per device).
    yield* k.iommu.setup_entry(t, dev, ioMm.pasidNum, mm);
    return bond;
  }

  /**
   * Intel (v5.8 intel_svm_bind: pasid_mutex, then intel_svm_bind_mm): reuse the mm's svm
   * (sdev->users++) or allocate a PASID, register the notifier (mmgrab) and write the PASID entry.
   */
  private *intel_svm_bind(t: Task, dev: string, mm: MmStruct, ops: SvaDriverOps): Gen<Bond | null> {
    const k = this.k;
    yield* this.lock.lock(t);
    let ioMm = this.byMm.get(mm);
    if (!ioMm) {
      const pasid = this.alloc_pasid(mm);
      if (pasid === 0) {
        this.lock.unlock(t);
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
    this.emitBond(bond);
    this.lock.unlock(t);
    return bond;
  }

  /**
   * SMMUv3 (arm_smmu_sva_bind, under sva_lock): reuse the {dev, mm} bond; else the mm's PASID
   * (iommu_sva_alloc_pasid) and the notifier (arm_smmu_mmu_notifier_get → mmu_notifier_get), whose
   * creation writes the context descriptor.
   */
  private *arm_smmu_sva_bind(t: Task, dev: string, mm: MmStruct, ops: SvaDriverOps): Gen<Bond | null> {
    const k = this.k;
    yield* this.lock.lock(t);
    let ioMm = this.byMm.get(mm);
    const old = ioMm?.bonds.find((b) => b.dev === dev);
    if (old) {
      old.users++;
      this.emitBond(old);
      this.lock.unlock(t);
      return old;
    }
    if (!ioMm) {
      const pasid = this.alloc_pasid(mm);
      if (pasid === 0) {
        this.lock.unlock(t);
        return null;
      }
      const got = yield* mmu_notifier_get(k, t, IMPL['arm-smmu-v3-sva'].ops, mm, () => new IoMm(this, mm, pasid));
      ioMm = got as IoMm;
      this.byMm.set(mm, ioMm);
      this.byPasid.set(pasid, ioMm);
    }
    const bond = new Bond(ioMm, dev, ops, k);
    ioMm.bonds.push(bond);
    // arm_smmu_write_ctx_desc into this master's CD table (CD tables are per master).
    yield* k.iommu.setup_entry(t, dev, ioMm.pasidNum, mm);
    this.emitBond(bond);
    this.lock.unlock(t);
    return bond;
  }

  // ------------------------------------------------------------------ unbind

  /**
   * iommu_sva_unbind_device → the implementation's unbind. The driver has stopped DMA before
   * calling it (the seed commit's step 3).
   */
  *unbind(t: Task, bond: Bond): Gen {
    const sim = this.k.sim;
    const ioMm = bond.ioMm;
    const o = { a: ioMm.mm.actor, b: ioMm.pasidNum, args: { dev: bond.dev } };
    const body = this.impl === 'iommu-sva' ? this.iommu_sva_unbind_generic(t, bond) : this.impl === 'intel-svm' ? this.intel_svm_unbind(t, bond) : this.arm_smmu_sva_unbind(t, bond);
    yield* sim.call(t, 'iommu_sva_unbind_device', this.underGroup(t, bond.dev, sim.call(t, IMPL[this.impl].unbind, body, o)), o);
  }

  /**
   * v4 iommu_sva_unbind_generic: flush the IOPF queue for the PASID *before* taking any lock (a
   * detached bond has no PASID: iommu_sva_get_pasid_generic returns IOMMU_PASID_INVALID and nothing
   * is flushed), then under iommu_sva_lock drop the bond's reference; the last one detaches it
   * (io_mm_detach_locked, a no-op once release() has) and drops its io_mm reference with
   * mmu_notifier_put, which never calls release(): so a close before exit cannot deadlock.
   */
  private *iommu_sva_unbind_generic(t: Task, bond: Bond): Gen {
    if (!bond.detached) yield* this.iopf_queue_flush_dev(t, bond.ioMm);
    yield* this.lock.lock(t);
    // iommu_sva_unbind_locked
    bond.users--;
    this.emitBond(bond);
    if (bond.users === 0) yield* this.io_mm_detach_locked(t, bond);
    this.lock.unlock(t);
  }

  /**
   * Intel (v5.8 intel_svm_unbind: pasid_mutex, then intel_svm_unbind_mm): sdev->users--; the last user tears the
   * entry down with faults reported again and drains page requests (intel_svm_drain_prq); the last
   * device frees the PASID (ioasid_free) and unregisters the notifier, which runs release() if
   * exit_mmap has not (it finds no device left: nothing to do) and waits for SRCU readers.
   */
  private *intel_svm_unbind(t: Task, bond: Bond): Gen {
    const k = this.k;
    const ioMm = bond.ioMm;
    const pasid = ioMm.pasidNum;
    yield* this.lock.lock(t);
    bond.users--;
    this.emitBond(bond);
    if (bond.users === 0) {
      ioMm.bonds.splice(ioMm.bonds.indexOf(bond), 1);
      yield* k.iommu.tear_down_entry(t, bond.dev, pasid, false);
      yield* k.iommu.drain_prq(t, bond.dev, pasid);
      if (ioMm.bonds.length === 0) {
        this.byMm.delete(ioMm.mm);
        this.free_pasid(ioMm);
        yield* mmu_notifier_unregister(k, t, ioMm, ioMm.mm);
      }
    }
    this.lock.unlock(t);
  }

  /**
   * SMMUv3 (arm_smmu_sva_unbind, under sva_lock): the last bond of the mm puts the notifier
   * (arm_smmu_mmu_notifier_put: clear the context descriptor, invalidate, mmu_notifier_put, which
   * never calls release()) and frees the PASID (iommu_sva_free_pasid).
   * Not confirmed from source: whether an SMMUv3 unbind flushes page faults (v5.11 does not; the
   * model drains nothing here).
   */
  private *arm_smmu_sva_unbind(t: Task, bond: Bond): Gen {
    const k = this.k;
    const ioMm = bond.ioMm;
    yield* this.lock.lock(t);
    bond.users--;
    this.emitBond(bond);
    if (bond.users === 0) {
      ioMm.bonds.splice(ioMm.bonds.indexOf(bond), 1);
      // The write of a NULL context descriptor into this master's CD table; the kernel skips the
      // invalidations if release() already did them (cleared), the model repeats them.
      yield* k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, false);
      if (ioMm.bonds.length === 0) {
        // arm_smmu_mmu_notifier_put
        mmu_notifier_put(k, ioMm, ioMm.mm);
        this.byMm.delete(ioMm.mm);
        this.free_pasid(ioMm);
      }
    }
    this.lock.unlock(t);
  }

  // ------------------------------------------------------------------ the notifier

  /** The notifier's release(), called from exit_mmap (or from unregister if exit_mmap has not run). */
  *release(t: Task, ioMm: IoMm, mm: MmStruct): Gen {
    if (this.impl === 'iommu-sva') yield* this.io_mm_release(t, ioMm);
    else if (this.impl === 'intel-svm') yield* this.intel_mm_release(t, ioMm, mm);
    else yield* this.arm_smmu_mm_release(t, ioMm);
  }

  /**
   * The mm_exit model (v4 iommu-sva.c io_mm_release): under iommu_sva_lock, for each bond: the
   * driver's mm_exit() stops DMA (and may sleep for minutes), iopf_queue_flush_dev() waits for every
   * queued fault, then io_mm_detach_locked clears the entry and drops the bond's io_mm reference.
   * The last reference goes with the last bond: mmu_notifier_put → (SRCU) io_mm_free → ioasid_free.
   * So the PASID is freed at exit, and the driver's later unbind finds its bond detached.
   */
  private *io_mm_release(t: Task, ioMm: IoMm): Gen {
    const sim = this.k.sim;
    const o = { a: ioMm.mm.actor, b: ioMm.pasidNum };
    yield* this.lock.lock(t);
    for (const bond of [...ioMm.bonds]) {
      yield* sim.call(t, bond.ops.mmExitFn, bond.ops.mm_exit(t), { ...o, args: { dev: bond.dev } });
      yield* this.iopf_queue_flush_dev(t, ioMm);
      yield* this.io_mm_detach_locked(t, bond);
    }
    this.lock.unlock(t);
  }

  /**
   * v4 iopf_queue_flush_dev: the IOMMU driver's low-level flush of its PRI queue, then
   * flush_workqueue on the IOPF queue (waits for every item queued before it). The model's flush
   * is the flush_workqueue (page requests still in the PRQ are not waited for).
   */
  private *iopf_queue_flush_dev(t: Task, ioMm: IoMm): Gen {
    yield* this.k.sim.call(t, 'iopf_queue_flush_dev', this.k.iommu.iopf.wq.flush_workqueue(t), { a: ioMm.mm.actor, b: ioMm.pasidNum });
  }

  /**
   * v4 io_mm_detach_locked, with iommu_sva_lock held: ops->detach (clear the PASID entry and
   * invalidate; this device's entry), unlink
   * the bond, io_mm_put. Does nothing for a bond already detached.
   */
  private *io_mm_detach_locked(t: Task, bond: Bond): Gen {
    if (bond.detached) return;
    const ioMm = bond.ioMm;
    yield* this.k.sim.call(t, 'io_mm_detach_locked', this.detach(t, bond), { a: ioMm.mm.actor, b: ioMm.pasidNum, args: { dev: bond.dev } });
  }

  private *detach(t: Task, bond: Bond): Gen {
    const ioMm = bond.ioMm;
    ioMm.bonds.splice(ioMm.bonds.indexOf(bond), 1);
    bond.detached = true;
    yield* this.k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, false);
    // io_mm_put: the io_mm is freed after an SRCU grace period (io_mm_free).
    mmu_notifier_put(this.k, ioMm, ioMm.mm);
  }

  /**
   * The quiet model on VT-d (intel/svm.c intel_mm_release, under rcu_read_lock: no lock, no driver
   * callback): each device's entry goes not-present with fault processing disabled and the caches
   * are invalidated. The PASID stays allocated until unbind.
   */
  private *intel_mm_release(t: Task, ioMm: IoMm, mm: MmStruct): Gen {
    void mm;
    const ld = this.k.lockdep;
    ld.rcu_read_lock(t);
    // list_for_each_entry_rcu(sdev, &svm->devs, list) intel_pasid_tear_down_entry(..., true): each
    // device's entry (qi_submit_sync spins: CPU time, no sleep).
    for (const bond of ioMm.bonds) {
      yield* this.k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, true);
      // The v5.7-rc1 test kernel's drain, still inside rcu_read_lock: it may sleep (log 05).
      if (this.drainInRelease) yield* this.k.iommu.drain_prq(t, bond.dev, ioMm.pasidNum);
    }
    ld.rcu_read_unlock(t);
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

  /**
   * The quiet model on SMMUv3 (arm-smmu-v3-sva.c arm_smmu_mm_release): under sva_lock, unless
   * already cleared, install the quiet context descriptor ("DMA may still be running. Keep the cd
   * valid to avoid C_BAD_CD events, but disable translation"), invalidate the TLB and ATC. Unlike
   * Intel's, it takes a mutex: an mmput by a holder of sva_lock would wait for itself.
   */
  private *arm_smmu_mm_release(t: Task, ioMm: IoMm): Gen {
    yield* this.lock.lock(t);
    if (!ioMm.cleared && ioMm.bonds.length > 0) {
      for (const bond of ioMm.bonds) yield* this.k.iommu.tear_down_entry(t, bond.dev, ioMm.pasidNum, true);
      ioMm.cleared = true;
    }
    this.lock.unlock(t);
  }

  /** ops->free_notifier, from the SRCU callback of the last mmu_notifier_put. */
  free_notifier(t: Task, ioMm: IoMm): void {
    // v4 io_mm_free: ioasid_free. SMMUv3's arm_smmu_mmu_notifier_free only frees memory (the
    // PASID went with iommu_sva_free_pasid at unbind).
    if (this.impl === 'iommu-sva') this.k.sim.callNow(t, 'io_mm_free', () => this.free_pasid(ioMm), { a: ioMm.mm.actor, b: ioMm.pasidNum });
  }
}
