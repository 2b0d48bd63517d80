import { closeThenExit } from './close_then_exit';
import { drainInRelease } from './drain_in_release';
import { drainLockOrder } from './drain_lock_order';
import { exitDuringFault } from './exit_during_fault';
import { iopfLastMmput } from './iopf_last_mmput';
import { lockInversion } from './lock_inversion';
import { oomBoundVictim } from './oom_bound_victim';
import { pasidLifetime } from './pasid_lifetime';
import { prqOverflowDrain } from './prq_overflow_drain';
import type { Scenario } from './scenario';
import { sigkillDuringDma } from './sigkill_during_dma';
import { stress } from './stress';
import { unbindWithDma } from './unbind_with_dma';

/** Every scenario, by its id. The ids are a contract: scripts use them. */
export const SCENARIOS: readonly Scenario[] = [
  oomBoundVictim,
  sigkillDuringDma,
  iopfLastMmput,
  lockInversion,
  unbindWithDma,
  prqOverflowDrain,
  pasidLifetime,
  exitDuringFault,
  closeThenExit,
  drainLockOrder,
  drainInRelease,
  stress,
];

export function findScenario(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export type { Scenario };
