import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { archiveDir } from '../../main/lab/archive';
import { createLab } from '../../main/lab/lab';
import type { RunResult } from '../../main/lab/runs';
import { tempDir } from '../trace/helpers';

const home = tempDir('sva-lab-home-');
const svc = createLab(home);
let dma: RunResult;
let dmaQuiet: RunResult;

beforeAll(async () => {
  [dma, dmaQuiet] = await Promise.all([
    svc.record({ scenario: 'sigkill-during-dma', params: { mmExit: true } }),
    svc.record({ scenario: 'sigkill-during-dma', params: { mmExit: 'false' } }),
  ]);
});

describe('archive', () => {
  it('defaults to the platform user-data folder unless SVA_LAB_HOME is set', () => {
    expect(archiveDir({ SVA_LAB_HOME: '/x/y' }, 'linux')).toBe(path.resolve('/x/y'));
    expect(archiveDir({ XDG_DATA_HOME: '/d' }, 'linux')).toBe(path.join('/d', 'sva-lab'));
    expect(archiveDir({}, 'linux')).toMatch(/\.local[\\/]share[\\/]sva-lab$/);
    expect(archiveDir({}, 'darwin')).toMatch(/Library[\\/]Application Support[\\/]sva-lab$/);
    expect(archiveDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toMatch(/sva-lab$/);
  });

  it('lists runs with scenario, design, key parameters, status and key metrics', async () => {
    const list = await svc.listRuns();
    const e = list.find((x) => path.join(home, x.id) === dma.trace);
    expect(e).toMatchObject({ scenario: 'sigkill-during-dma', model: 'mm_exit', status: 'complete', events: dma.events });
    expect(e?.params).toHaveProperty('mmExit', true);
    expect(e?.metrics?.releaseLatencyNs).toEqual(dma.metrics.releaseLatencyNs);
    expect(list.find((x) => path.join(home, x.id) === dmaQuiet.trace)?.model).toBe('quiet');
  });

  it('imports a valid trace and refuses a bad one without copying it', async () => {
    const other = createLab(tempDir('sva-lab-other-'));
    const got = await other.importTrace({ name: dma.trace, path: dma.trace });
    expect(fs.existsSync(other.fileOf(got.id))).toBe(true);
    expect(got).toMatchObject({ scenario: 'sigkill-during-dma', status: 'complete', events: dma.events });
    const junk = path.join(tempDir(), 'junk.sqlite');
    fs.writeFileSync(junk, 'not a trace');
    await expect(other.importTrace({ name: junk, path: junk })).rejects.toThrow(/junk\.sqlite' is not an SVA Lab trace/);
    expect((await other.listRuns()).length).toBe(1);
  });
});

