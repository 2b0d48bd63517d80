/**
 * Parameter specifications: every scenario parameter has a type, a default, a range and a
 * one-line description, so the CLI, the UI form and validation all come from one table.
 */
import { designOf } from './design';

export type ParamType = 'int' | 'number' | 'bool' | 'enum';

export interface ParamSpec {
  readonly key: string;
  readonly type: ParamType;
  readonly default: number | boolean | string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly unit?: string;
  readonly doc: string;
  /** 'scenario' for the scenario's own knobs, 'design' for the kernel design switches, 'cost' for model costs. */
  readonly group: 'scenario' | 'design' | 'cost';
  /**
   * A default that follows the design (`mmExit`): the value used when the parameter is not given,
   * for each design. `default` is then the value for the scenario's own default design, the one a
   * form shows first; a form that lets the user flip `mmExit` should show the other value then.
   */
  readonly byDesign?: { readonly mm_exit: ParamValue; readonly quiet: ParamValue };
}

export type ParamValue = number | boolean | string;
export type Params = Record<string, ParamValue>;

/** A user error in a parameter: one sentence naming it and what would be valid. */
export class ParamError extends Error {}

export function describeRange(s: ParamSpec): string {
  switch (s.type) {
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${(s.values ?? []).join(', ')}`;
    case 'int':
      return `an integer from ${s.min} to ${s.max}`;
    case 'number':
      return `a number from ${s.min} to ${s.max}`;
  }
}

/** Parse a textual value (from `--set k=v` or JSON) against its spec. */
export function parseValue(s: ParamSpec, raw: unknown, scenario: string): ParamValue {
  const bad = (): never => {
    throw new ParamError(`Parameter '${s.key}' of scenario '${scenario}' must be ${describeRange(s)}${s.unit ? ` (${s.unit})` : ''}; got '${String(raw)}'.`);
  };
  switch (s.type) {
    case 'bool': {
      if (raw === true || raw === 'true' || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      return bad();
    }
    case 'enum': {
      const v = String(raw);
      if (!(s.values ?? []).includes(v)) return bad();
      return v;
    }
    case 'int':
    case 'number': {
      if (typeof raw === 'boolean' || raw === '' || raw === null || raw === undefined) return bad();
      const v = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(v)) return bad();
      if (s.type === 'int' && !Number.isInteger(v)) return bad();
      if ((s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max)) return bad();
      return v;
    }
  }
}

/**
 * The one parse of a run's parameters: defaults overlaid with the given values, each checked
 * against its spec; one message per bad field (an unknown key, a wrong type, out of range).
 * When every field is valid, a parameter with a `byDesign` default that is not given takes the
 * value of the design chosen (given `mmExit`, else its default).
 */
export function parseParams(specs: readonly ParamSpec[], given: Record<string, unknown>, scenario: string): { params: Params; errors: Record<string, string> } {
  const params: Params = {};
  const errors: Record<string, string> = {};
  for (const s of specs) params[s.key] = s.default;
  for (const [k, raw] of Object.entries(given)) {
    const s = specs.find((x) => x.key === k);
    if (!s) {
      errors[k] = `Scenario '${scenario}' has no parameter '${k}'; valid parameters: ${specs.map((x) => x.key).join(', ')}.`;
      continue;
    }
    try {
      params[k] = parseValue(s, raw, scenario);
    } catch (e) {
      if (!(e instanceof ParamError)) throw e;
      errors[k] = e.message;
    }
  }
  if (Object.keys(errors).length === 0) applyDesignDefaults(specs, params, given);
  return { params, errors };
}

/** What is wrong with a seed (one sentence), or null for a valid one (a non-negative safe integer). */
export function seedError(seed: unknown): string | null {
  return Number.isSafeInteger(seed) && (seed as number) >= 0 ? null : `Seed must be a non-negative integer; got '${String(seed)}'.`;
}

/** The parsed parameters, or a ParamError with the first bad field's message (one sentence). */
export function resolveParams(specs: readonly ParamSpec[], given: Record<string, unknown>, scenario: string): Params {
  const { params, errors } = parseParams(specs, given, scenario);
  const first = Object.values(errors)[0];
  if (first !== undefined) throw new ParamError(first);
  return params;
}

/**
 * Give each parameter with a `byDesign` default that `given` leaves out the value of the design
 * `params` chose (its `mmExit`). Every resolution of a run's parameters goes through here.
 */
export function applyDesignDefaults(specs: readonly ParamSpec[], params: Params, given: Record<string, unknown>): Params {
  const design = designOf(params);
  for (const s of specs) if (s.byDesign && !Object.prototype.hasOwnProperty.call(given, s.key)) params[s.key] = s.byDesign[design];
  return params;
}
