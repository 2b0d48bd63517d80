import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The rules of eslint.config.js that go beyond the layers: what `npm run lint` refuses. */
const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function errors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint', () => {
  it('refuses an adapter importing another adapter', async () => {
    expect(await errors('main/ipc.ts', "export { startServer } from './web/server';\n")).toEqual([expect.stringMatching(/^sva-lab\/boundaries: Adapters never import each other/)]);
    expect(await errors('main/index.ts', "import './cli/index';\n")).toEqual([expect.stringMatching(/Adapters never import each other/)]);
    expect((await errors('main/cli/commands/x.ts', "import { startServer } from '../../web/server';\nexport const s = startServer;\n")).join('\n')).toMatch(/Adapters never import each other: main\/cli/);
    expect((await errors('main/web/x.ts', "import { main } from '../cli/index';\nexport const m = main;\n")).join('\n')).toMatch(/Adapters never import each other: main\/web/);
    // The entry point is where the CLI and the web server meet.
    expect(await errors('main/sva-lab.ts', "import { main } from './cli/index';\nimport { startServer } from './web/server';\nexport const x = [main, startServer];\n")).toEqual([]);
  });

  it('lets an adapter into main/lab only through main/lab/index.ts', async () => {
    const door = /^sva-lab\/boundaries: The lab has one door/;
    expect(await errors('main/cli/commands/x.ts', "import { Runs } from '../../lab/runs';\nexport const r = Runs;\n")).toEqual([expect.stringMatching(door)]);
    expect(await errors('main/web/x.ts', "import type { Runs } from '../lab/runs';\nexport type R = Runs;\n")).toEqual([expect.stringMatching(door)]);
    expect(await errors('main/ipc.ts', "export const load = () => import('./lab/runs');\n")).toEqual([expect.stringMatching(door)]);
    expect(await errors('main/index.ts', "export { Runs } from './lab/runs';\n")).toEqual([expect.stringMatching(door)]);
    expect(await errors('main/cli/commands/x.ts', "import { createLab } from '../../lab/index';\nexport const c = createLab;\n")).toEqual([]);
    // Inside main/lab its modules import each other freely.
    expect(await errors('main/lab/x.ts', "import { Runs } from './runs';\nexport const r = Runs;\n")).toEqual([]);
  });

  it('lets main/contract.ts take one value from main/sim, designOf, and types only otherwise', async () => {
    expect(await errors('main/contract.ts', "import { designOf } from './sim/design';\nexport { designOf };\n")).toEqual([]);
    expect((await errors('main/contract.ts', "import { MODEL_VERSION } from './sim/run';\nexport const v = MODEL_VERSION;\n")).join('\n')).toMatch(/main\/contract\.ts may import main\/sim with `import type` only/);
    expect(await errors('main/contract.ts', "import type { Summary } from './sim/run';\nexport type S = Summary;\n")).toEqual([]);
  });

  it("keeps the trace's connection inside main/trace", async () => {
    expect(await errors('main/lab/x.ts', "import { TraceDb } from '../trace/db';\nexport const d = TraceDb;\n")).toEqual([expect.stringMatching(/^sva-lab\/boundaries: main\/trace\/db\.ts \(the SQLite connection\) is private/)]);
    expect(await errors('main/trace/x.ts', "import { TraceDb } from './db';\nexport const d = TraceDb;\n")).toEqual([]);
  });

  it('refuses a Base* component that imports a store', async () => {
    const vue = "<script setup lang=\"ts\">\nimport { useRunViewStore } from '../stores/runView';\nuseRunViewStore();\n</script>\n<template><div /></template>\n";
    expect(await errors('renderer/src/components/BaseThing.vue', vue)).toEqual([expect.stringMatching(/^sva-lab\/boundaries: Base\* components never import a store/)]);
    expect(await errors('renderer/src/components/RunViewThing.vue', vue)).toEqual([]);
  });

  it('refuses a test that sits in no folder of the source tree', async () => {
    const t = "import { it } from 'vitest';\nit('x', () => {});\n";
    expect(await errors('test/nowhere/x.test.ts', t)).toEqual([expect.stringMatching(/^sva-lab\/test-mirrors-source: Tests mirror the source tree: test\/nowhere\/x\.test\.ts/)]);
    expect(await errors('test/lab/workers/x.test.ts', t)).toEqual([]);
    expect(await errors('test/renderer/timeline/x.test.ts', t)).toEqual([]);
  });
});
