import { benchSim } from './sim';
import { benchTrace, formatTraceBench, type TraceBench } from './trace';

/**
 * `npm run bench`: figures measured in one run on this machine, printed as one JSON document
 * followed by a readable table. Ratios, not absolute timings, are what the targets speak of.
 */
const results: Record<string, unknown> = {};
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

if (want('sim')) results.sim = benchSim();
if (want('trace')) results.trace = await benchTrace();
if (want('sweep')) results.sweep = await (await import('./sweep')).benchSweep();
if (want('why')) results.why = await (await import('./why')).benchWhy();

process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (results.sim) {
  const s = results.sim as ReturnType<typeof benchSim>;
  process.stdout.write(`\nsimulator alone (stress, ${s.events} events, best of ${s.runs}): ${(s.eventsPerSec / 1e6).toFixed(2)} M events/s  (target >= 2 M/s)\n`);
}
if (results.trace) process.stdout.write(formatTraceBench(results.trace as TraceBench));
if (results.why) process.stdout.write((await import('./why')).formatWhyBench(results.why as import('./why').WhyBench));
if (results.sweep) process.stdout.write((await import('./sweep')).formatSweepBench(results.sweep as import('./sweep').SweepBench));
