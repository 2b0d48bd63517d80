import { METRIC_DOCS } from '../sim/metrics';
import { describeRange, type ParamSpec } from '../sim/params';
import { SCENARIOS } from '../sim/scenarios/index';

/** A scenario as the CLI and the UI list it. */
export interface ScenarioInfo {
  id: string;
  title: string;
  story: string;
  params: (ParamSpec & { range: string })[];
}

export function listScenarios(): ScenarioInfo[] {
  return SCENARIOS.map((s) => ({
    id: s.id,
    title: s.title,
    story: s.story,
    params: s.params.map((p) => ({ ...p, range: describeRange(p) })),
  }));
}

export function metricDocs(): Record<string, string> {
  return { ...METRIC_DOCS };
}
