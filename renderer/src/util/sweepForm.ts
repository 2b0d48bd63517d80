import type { ParamValue, ScenarioDto, SweepDefinitionDto } from '../../../main/contract';

/** The custom sweep form as typed: a scenario, one or two varied parameters with comma-separated values, seeds. */
export interface SweepFormInput {
  scenario: string;
  vary: { key: string; values: string }[];
  /** As typed (a number input's v-model may hand over a number). */
  seeds: string | number;
}

/** Field → one sentence saying what is wrong and what would be valid (`vary.0`, `vary.1`, `seeds`, `scenario`). */
export type SweepFormErrors = Record<string, string>;

/**
 * Turn the form into a sweep definition, checking what the form can check (the service validates
 * again, and its message is shown when it refuses): known parameters, values of the right type and
 * range, no parameter twice, seeds from 1 to 1000.
 */
export function parseSweepForm(input: SweepFormInput, scenario: ScenarioDto | undefined): { def: SweepDefinitionDto } | { errors: SweepFormErrors } {
  const errors: SweepFormErrors = {};
  if (!scenario) return { errors: { scenario: `Pick a scenario to sweep.` } };
  const vary: SweepDefinitionDto['vary'] = [];
  input.vary.forEach((row, i) => {
    if (!row.key) {
      if (i === 0) errors[`vary.${i}`] = 'Pick a parameter to vary.';
      return;
    }
    const spec = scenario.params.find((p) => p.key === row.key);
    if (!spec) {
      errors[`vary.${i}`] = `Scenario '${scenario.id}' has no parameter '${row.key}'.`;
      return;
    }
    if (input.vary.slice(0, i).some((v) => v.key === row.key)) {
      errors[`vary.${i}`] = `${row.key} is varied twice; pick another parameter.`;
      return;
    }
    const tokens = row.values.split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (!tokens.length) {
      errors[`vary.${i}`] = `Give ${row.key} some values, separated by commas (${spec.range}).`;
      return;
    }
    const values: ParamValue[] = [];
    for (const t of tokens) {
      const v = parseToken(spec, t);
      if (v === undefined) {
        errors[`vary.${i}`] = `${row.key} must be ${spec.range}${spec.unit ? ` (${spec.unit})` : ''}; '${t}' is not.`;
        return;
      }
      if (!values.includes(v)) values.push(v);
    }
    vary.push({ key: row.key, values });
  });
  const rawSeeds = String(input.seeds).trim();
  const seeds = Number(rawSeeds || '1');
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 1000) errors.seeds = `Seeds must be a whole number from 1 to 1000; got '${rawSeeds}'.`;
  if (Object.keys(errors).length) return { errors };
  return { def: { scenario: scenario.id, vary, seeds } };
}

function parseToken(spec: ScenarioDto['params'][number], t: string): ParamValue | undefined {
  switch (spec.type) {
    case 'bool':
      return t === 'true' ? true : t === 'false' ? false : undefined;
    case 'enum':
      return spec.values?.includes(t) ? t : undefined;
    case 'int':
    case 'number': {
      const v = Number(t);
      if (!Number.isFinite(v) || (spec.type === 'int' && !Number.isInteger(v))) return undefined;
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return undefined;
      return v;
    }
  }
}

/** A definition's grid size: the product of the value counts, times the seeds. */
export function gridRuns(def: Pick<SweepDefinitionDto, 'vary' | 'seeds'>): number {
  return def.vary.reduce((n, v) => n * v.values.length, 1) * (def.seeds ?? 1);
}
