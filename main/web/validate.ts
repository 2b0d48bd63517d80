import { z } from 'zod';
import type { LabMethod } from '../contract';

/**
 * Argument schemas for every LabApi method. Electron IPC and the HTTP server both check the
 * arguments a renderer sends before the service sees them: the renderer is untrusted.
 */
const runId = z.string().regex(/^[A-Za-z0-9._-]{1,200}\.sqlite$/, 'a run id is a trace file name in the archive ending in .sqlite');
const sweepId = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'a sweep id is a name made of letters, digits, dots, dashes and underscores');
const ns = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const paramValue = z.union([z.number(), z.boolean(), z.string().max(200)]);
const runRequest = z.object({
  scenario: z.string().min(1).max(100),
  params: z.record(z.string().max(100), paramValue),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export const ARG_SCHEMAS: Record<LabMethod, z.ZodType<unknown[]>> = {
  catalog: z.tuple([]),
  listRuns: z.tuple([]),
  startRun: z.tuple([runRequest]),
  cancelRun: z.tuple([runId]),
  validateRun: z.tuple([runRequest]),
  openRun: z.tuple([runId]),
  window: z.union([
    z.tuple([runId, ns, ns, z.number().int().min(1).max(20_000)]),
    z.tuple([runId, ns, ns, z.number().int().min(1).max(20_000), z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(10_000)]),
  ]),
  state: z.union([z.tuple([runId, ns]), z.tuple([runId, ns, z.number().int().min(0)])]),
  events: z.tuple([
    runId,
    z.object({
      aroundSeq: z.number().int().min(0).optional(),
      atNs: ns.optional(),
      before: z.number().int().min(0).max(1000),
      after: z.number().int().min(0).max(1000),
    }),
  ]),
  stepEvent: z.tuple([runId, z.number().int().min(0), z.union([z.literal(1), z.literal(-1)])]),
  causeChain: z.tuple([runId, z.number().int().min(1)]),
  importTrace: z.tuple([
    z.object({
      name: z.string().min(1).max(300),
      bytesBase64: z.string().max(2_000_000_000).optional(),
      path: z.string().max(4096).optional(),
    }),
  ]),
  deleteRun: z.tuple([runId]),
  compareRuns: z.tuple([runId, runId]),
  findEvent: z.tuple([runId, z.string().regex(/^[a-z_]{1,40}$/, 'an event kind is a lower-case name such as oom_kill'), z.number().int().min(0)]),
  startPair: z.tuple([runRequest]),
  verifyRun: z.tuple([runId]),
  listAnnotations: z.tuple([runId]),
  addAnnotation: z.tuple([
    runId,
    z.object({ tNs: ns, seq: z.number().int().min(1).nullable(), kind: z.enum(['bookmark', 'note']), text: z.string().max(10_000) }),
  ]),
  deleteAnnotation: z.tuple([runId, z.number().int().min(1)]),
  exportRun: z.tuple([runId, z.enum(['chrome-json', 'csv', 'sqlite'])]),
  sweepPresets: z.tuple([]),
  listSweeps: z.tuple([]),
  startSweep: z.tuple([
    z.object({
      scenario: z.string().min(1).max(100),
      vary: z.array(z.object({ key: z.string().min(1).max(100), values: z.array(paramValue).min(1).max(1000) })).min(1).max(8),
      set: z.record(z.string().max(100), paramValue).optional(),
      seeds: z.number().int().min(1).max(1000).optional(),
      metrics: z.array(z.string().max(100)).max(50).optional(),
      preset: z.string().max(100).optional(),
    }),
  ]),
  getSweep: z.tuple([sweepId]),
  cancelSweep: z.tuple([sweepId]),
  sweepCsv: z.tuple([sweepId]),
};

export const METHODS = Object.keys(ARG_SCHEMAS) as LabMethod[];

export function isLabMethod(name: string): name is LabMethod {
  return Object.prototype.hasOwnProperty.call(ARG_SCHEMAS, name);
}

/** Validate the arguments of a call; throws an Error with one sentence naming the method. */
export function validateArgs(method: LabMethod, args: unknown): unknown[] {
  const r = ARG_SCHEMAS[method].safeParse(args);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? ` (argument ${issue.path.join('.')})` : '';
    throw new ArgumentError(`Invalid arguments to ${method}${where}: ${issue.message}.`);
  }
  return r.data;
}

export class ArgumentError extends Error {}
