import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../main/lab/lab';
import { recordInline, tempDir } from '../trace/helpers';

// A full disk and a read-only archive, on small tmpfs mounts (root only: CI runs as root; where
// mounting is not allowed the tests say so and are skipped).
const mnt = tempDir('sva-disk-');
const full = path.join(mnt, 'full');
const ro = path.join(mnt, 'ro');
let mounted = false;
const why = (() => {
  try {
    fs.mkdirSync(full);
    fs.mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', full], { stdio: 'pipe' });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro], { stdio: 'pipe' });
    mounted = true;
    return '';
  } catch (e) {
    return `cannot mount a tmpfs here (${String((e as Error).message).split('\n')[0]})`;
  }
})();
afterAll(() => {
  if (!mounted) return;
  spawnSync('umount', [full]);
  spawnSync('umount', [ro]);
});

const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['bin/sva-lab.mjs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe.skipIf(!!why)(`a full disk and a read-only archive${why ? ` (skipped: ${why})` : ''}`, () => {
  let trace = '';
  beforeAll(() => {
    trace = path.join(tempDir(), 'small.sqlite');
    recordInline(trace, 'sigkill-during-dma', { mmExit: true }, 1);
  });

  it('a run that fills the disk says so in one sentence, and its trace stays readable', () => {
    const out = path.join(full, 'full.sqlite');
    const r = cli(['run', 'stress', '--set', 'events=2000000', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/The disk holding '.*full\.sqlite' is full: the run stopped there and its trace keeps every batch written before/);
    const s = cli(['summary', out, '--json']);
    expect(s.status).toBe(0);
    const sum = JSON.parse(s.stdout) as { status: string; events: number };
    expect(sum.status).toBe('interrupted');
    expect(sum.events).toBeGreaterThan(0);
  });

  it('an import into a full disk says the disk is full and leaves nothing behind', async () => {
    const filler = path.join(full, 'filler');
    try {
      fs.writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // filled
    }
    const lab = createLab(path.join(full, 'archive'));
    await expect(lab.importTrace({ name: trace, path: trace })).rejects.toThrow(/full|space/i);
    await lab.close();
    fs.rmSync(filler, { force: true });
  });

  it('a read-only archive says so for a run and an import', async () => {
    const r = cli(['run', 'sigkill-during-dma'], { SVA_LAB_HOME: path.join(ro, 'archive') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/read-only file system; set SVA_LAB_HOME to a writable folder/);
    expect(r.stderr).not.toMatch(/internal error/);
    const lab = createLab(ro);
    const e = await lab.importTrace({ name: trace, path: trace }).catch((x: unknown) => x as Error);
    expect(String((e as Error).message)).toMatch(/read-only file system/);
    await lab.close();
  });
});
