/**
 * The renderer with the in-memory fake backend (test/renderer/fakeLab.ts) as `window.lab`, for
 * looking at the UI and taking screenshots without the service. `?empty=1` starts with an empty
 * archive; `?slow=1` answers every call after 300 ms (to see the loading states).
 */
import { createFakeLab, STORY_RUNS } from '../fakeLab';
import { withFakeSweeps } from '../fakeSweeps';

const q = new URLSearchParams(window.location.search);
window.lab = withFakeSweeps(
  createFakeLab({
    runs: q.has('empty') ? [] : [...STORY_RUNS, { scenario: 'iopf-last-mmput', params: { mmExit: true }, seed: 1 }],
    latencyMs: q.has('slow') ? 300 : 2,
    progressSteps: 10,
    progressEveryMs: 120,
  }),
  { everyMs: 150 },
);
await import('../../../renderer/src/main');
