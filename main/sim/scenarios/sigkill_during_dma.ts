import type { Sim } from '../engine';
import type { Kernel } from '../kernel/kernel';
import type { Params } from '../params';
import { DEVICE_OWN } from './device_params';
import { COMMON_OWN, DEFAULT_HORIZON, dmaJob, killAt, makeKernel, ms, Mutex, paramsWith, svaProcess, type Scenario } from './scenario';

export const sigkillDuringDma: Scenario = {
  id: 'sigkill-during-dma',
  title: 'SIGKILL while the device is doing DMA',
  story:
    'A process is killed while its accelerator streams DMA. Before the kill, faults are handled; DMA to an unmapped ' +
    'buffer (unmappedRate) is answered INVALID and nothing is printed. In the quiet model exit_mmap tears the ' +
    'device\'s PASID entry down with faults ignored (VT-d: not present with FPD; SMMUv3: the quiet context ' +
    'descriptor) and invalidates the IOTLB and ATC: until the driver\'s unbind the device is answered silently ' +
    '(ATS R=W=0, PRI Invalid Request or an aborted stall, transactions aborted, nothing printed) and the PASID ' +
    'stays allocated; unbind drains and frees it. No transaction reaches freed memory (dmaAfterFree 0).',
  params: paramsWith([
    COMMON_OWN.killAtMs(20),
    { key: 'anonMiB', type: 'int', default: 256, min: 1, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'memory of the process' },
    COMMON_OWN.dmaJobTx(20_000),
    COMMON_OWN.faultRate(0.02),
    DEVICE_OWN.unmappedRate(0),
    DEVICE_OWN.devicePri(true),
    COMMON_OWN.priCredits(32),
  ], { lockedMemory: 0 }),
  horizon: () => DEFAULT_HORIZON,
  build(sim: Sim, p: Params): Kernel {
    const k = makeKernel(sim, p, 4096);
    const { proc } = svaProcess(k, {
      comm: 'accel-app',
      anonMiB: p.anonMiB as number,
      lockedMiB: k.cfg.lockedMiB,
      dev: 'accel0 q0',
      job: dmaJob(p),
      priCredits: p.priCredits as number,
      driverLock: new Mutex(sim, 'uacce_mm->lock'),
    });
    k.iommu.deviceOf('accel0').priEnabled = p.devicePri as boolean;
    killAt(k, proc, ms(p.killAtMs as number));
    return k;
  },
};
