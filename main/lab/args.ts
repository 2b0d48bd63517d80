import { z } from 'zod';
import { LAB_METHODS, type LabApi, type LabMethod } from '../contract';
import { designOf, type Design } from '../sim/design';
import { parseParams, seedError, type Params } from '../sim/params';
import { findScenario, SCENARIOS } from '../sim/scenarios/index';
import { UserError } from './errors';

/**
 * The lab's boundary. Two checks, each in one place:
 *  - ARG_SCHEMAS: the shape of every LabApi method's arguments, checked (zod) by `callLab` for
 *    both transports that carry calls from an untrusted renderer, Electron IPC and HTTP;
 *  - checkRun: a run request's scenario, parameters and seed, parsed once into typed values
 *    (the new-run form's field messages and startRun both come from it; the worker gets the
 *    typed values).
 * No node:* here: the renderer's test fake reuses checkRun.
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

/** Argument schemas of every LabApi method (a method missing here is a type error). */
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
  findMatchingScenario: z.tuple([runId]),
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
  searchEvents: z.tuple([runId, z.string().min(1, 'a search needs some text').max(200), z.number().int().min(0), z.union([z.literal(1), z.literal(-1)])]),
  aggregateArea: z.tuple([runId, ns, ns, z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(10_000)]),
  explain: z.tuple([runId, z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)]),
  dmesg: z.tuple([runId]),
};

/** Arguments that do not fit a method's schema: a user error (one sentence naming the method). */
export class ArgumentError extends UserError {}

export function isLabMethod(name: string): name is LabMethod {
  return (LAB_METHODS as readonly string[]).includes(name);
}

/** Validate the arguments of a call; throws ArgumentError with one sentence naming the method. */
export function validateArgs(method: LabMethod, args: unknown): unknown[] {
  const r = ARG_SCHEMAS[method].safeParse(args);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? ` (argument ${issue.path.join('.')})` : '';
    throw new ArgumentError(`Invalid arguments to ${method}${where}: ${issue.message}.`);
  }
  return r.data;
}

/** One call from a transport: its arguments checked against the method's schema, then the lab's method. */
export async function callLab(lab: LabApi, method: LabMethod, args: unknown): Promise<unknown> {
  const valid = validateArgs(method, args);
  const fn = lab[method] as (...a: unknown[]) => Promise<unknown>;
  return fn.apply(lab, valid);
}

/** A run request as the lab runs it: parameters parsed against the scenario's specs, defaults filled in. */
export interface ResolvedRun {
  scenario: string;
  params: Params;
  seed: number;
  design: Design;
}

/** What a run request is made of before checking: values may be strings (from `--set k=v` or a form). */
export interface RawRunRequest {
  scenario: string;
  params?: Record<string, unknown>;
  seed?: number;
}

/**
 * Check a run request, parsing each parameter once: one message per bad field (`scenario`, a
 * parameter key, `seed`), and when there is none the resolved run. The seed defaults to 1.
 */
export function checkRun(req: RawRunRequest): { errors: Record<string, string>; run: ResolvedRun | null } {
  const sc = findScenario(req.scenario);
  if (!sc) return { errors: { scenario: `Unknown scenario '${req.scenario}'; valid scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}.` }, run: null };
  const { params, errors } = parseParams(sc.params, req.params ?? {}, sc.id);
  const seed = req.seed ?? 1;
  const badSeed = seedError(seed);
  if (badSeed !== null) errors.seed = badSeed;
  if (Object.keys(errors).length > 0) return { errors, run: null };
  return { errors, run: { scenario: sc.id, params, seed, design: designOf(params) } };
}

/** The resolved run, or a UserError with the first bad field's message. */
export function resolveRun(req: RawRunRequest): ResolvedRun {
  const { errors, run } = checkRun(req);
  if (!run) throw new UserError(Object.values(errors)[0]);
  return run;
}
