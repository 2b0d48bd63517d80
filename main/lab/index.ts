/**
 * main/lab from outside: `createLab(home)` is the way in (the adapters — CLI, Electron IPC, the
 * HTTP server — hold a Lab and call its methods). Besides it, only pure helpers the adapters
 * share: argument checking for the transports, time parsing and formatting, the page policy.
 */
export { createLab, QUERY_DEADLINE_MS, QUERY_DEFAULT_ROWS, QUERY_MAX_ROWS, type Lab, type LabOptions, type QueryResult } from './lab';
export { archiveDir } from './archive';
export { callLab, isLabMethod } from './args';
export { ensureRendererBuilt } from './build';
export { BusyError, UserError } from './errors';
export type { ExportResult } from './exports';
export { fmtNs } from './format';
export { CSP } from './page';
export type { OpOptions, Progress, RecordRequest, RunInternals, RunResult } from './runs';
export { presetOrThrow } from './sweeps/presets';
export { isTimeMetric, type MetricStats, type SweepDefinition } from './sweeps/grid';
export type { SweepProgress, SweepResult } from './sweeps/service';
export { parseRange, parseTimeNs } from './units';
export { whyJson } from './why';
