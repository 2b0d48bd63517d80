import type { ScenarioDto } from '../../../main/contract';

type Spec = ScenarioDto['params'][number];

/**
 * A form field's problem in the user's words, beside the field: what to enter, and what was
 * wrong with what is there ("this box is empty or not a number" rather than the service's
 * "got ''", which is all a number input reports for `abc`). `serverMessage` is the service's
 * sentence, used when the field's own words cannot say more.
 */
export function fieldMessage(spec: Spec, raw: unknown, serverMessage: string): string {
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (spec.type === 'int' || spec.type === 'number') {
    const what = spec.type === 'int' ? `a whole number from ${spec.min} to ${spec.max}${unit}` : `a number from ${spec.min} to ${spec.max}${unit}`;
    if (text === '' || !Number.isFinite(Number(text))) return `Enter ${what}: this box is empty or does not hold a number.`;
    const n = Number(text);
    if (spec.type === 'int' && !Number.isInteger(n)) return `Enter ${what}: ${text} is not a whole number.`;
    if (spec.min !== undefined && n < spec.min) return `Enter ${what}: ${text} is below the smallest allowed, ${spec.min}.`;
    if (spec.max !== undefined && n > spec.max) return `Enter ${what}: ${text} is above the largest allowed, ${spec.max}.`;
  }
  if (spec.type === 'enum') return `Choose one of ${(spec.values ?? []).join(', ')}.`;
  // Anything else (a rule across fields): the service's sentence without the developer's preamble.
  return serverMessage.replace(/^Parameter '[^']+' of scenario '[^']+' /, `${spec.key} `);
}

/** The seed's problem in words. */
export function seedMessage(raw: string): string {
  const t = raw.trim();
  if (t === '') return 'Enter a seed: a whole number, 0 or more (the same seed gives the same run).';
  return `Enter a seed as a whole number, 0 or more: ${t} is not one.`;
}
