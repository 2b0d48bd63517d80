import { runScenario } from '../main/sim/run';

export interface SimBench {
  scenario: string;
  events: number;
  wallMs: number;
  eventsPerSec: number;
  runs: number;
}

/**
 * Simulator alone (no recording): events/s on `stress`, best of a few runs after a warm-up so the
 * figure reflects the model, not the JIT or a noisy neighbour.
 */
export function benchSim(events = 2_000_000, runs = 3): SimBench {
  runScenario('stress', { events: 100_000 }, 7); // warm-up
  let best = Infinity;
  let n = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const s = runScenario('stress', { events }, 1);
    const dt = performance.now() - t0;
    n = s.events;
    best = Math.min(best, dt);
  }
  return { scenario: 'stress', events: n, wallMs: Math.round(best), eventsPerSec: Math.round(n / (best / 1000)), runs };
}
