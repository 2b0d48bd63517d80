import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../main/lab/index';
import { tempDir } from '../trace/helpers';
import { cliIn } from './svaLab';

const home = tempDir('sva-cli-window-');

const cli = cliIn(home, 60_000);

let trace: string;
let lab: Lab;

beforeAll(() => {
  const r = cli('run', 'sigkill-during-dma', '--set', 'mmExit=true', '--json');
  expect(r.code, r.stderr).toBe(0);
  trace = (JSON.parse(r.stdout) as { trace: string }).trace;
  lab = createLab(home);
});
afterAll(async () => {
  await lab.close();
});

describe('sva-lab window --json', () => {
  it('prints exactly what lab.window() answers for the same request, one WindowDto per range', async () => {
    const id = lab.runOf(trace);
    // 0..40 ms holds the whole run (it ends at ~36.7 ms); 20..21 ms is a zoomed-in view of it.
    const ranges: [string, number, number][] = [['0:40ms', 0, 40_000_000], ['20ms:21ms', 20_000_000, 21_000_000]];
    const r = cli('window', trace, ...ranges.flatMap(([arg]) => ['--range', arg]), '--width', '500', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const want = [];
    for (const [, from, to] of ranges) want.push(await lab.window(id, from, to, 500));
    expect(want.every((w) => w.tracks.length > 0)).toBe(true);
    expect(r.stdout).toBe(`${JSON.stringify(want)}\n`);

    // Only some tracks (two that show something over the run): the same answer as the lab's for those lanes.
    const lanes = want[0].tracks.slice(0, 2).map((t) => t.id);
    const only = cli('window', trace, '--range', '0:40ms', '--width', '64', '--track', lanes.join(','), '--json');
    expect(only.code, only.stderr).toBe(0);
    const some = await lab.window(id, 0, 40_000_000, 64, lanes);
    expect(some.tracks.map((t) => t.id).sort()).toEqual([...lanes].sort());
    expect(only.stdout).toBe(`${JSON.stringify([some])}\n`);
  });
});
