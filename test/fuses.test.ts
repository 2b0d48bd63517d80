import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './trace/helpers';

// The fuses script on a stand-in for the Electron binary: the fuse wire as Electron lays it out
// (sentinel, wire version 1, length, one byte per fuse: '0' off, '1' on), inside other bytes.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

describe('fuses at packaging', () => {
  it('turns RunAsNode, NODE_OPTIONS and --inspect off, ASAR integrity and ASAR-only loading on', () => {
    const bin = path.join(tempDir(), 'electron');
    // Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, integrity off, asar-only off, v8 snapshot off, file privileges on.
    const wire = Buffer.from('10110001', 'latin1');
    fs.writeFileSync(bin, Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, wire.length]), wire, Buffer.alloc(4096, 9)]));
    const r = spawnSync(process.execPath, ['scripts/fuses.mjs', bin], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)));
    expect(got).toMatchObject({
      RunAsNode: 'off',
      EnableCookieEncryption: 'on',
      EnableNodeOptionsEnvironmentVariable: 'off',
      EnableNodeCliInspectArguments: 'off',
      EnableEmbeddedAsarIntegrityValidation: 'on',
      OnlyLoadAppFromAsar: 'on',
      // not ours to change: left as Electron ships them
      LoadBrowserProcessSpecificV8Snapshot: 'off',
      GrantFileProtocolExtraPrivileges: 'on',
    });
    const after = fs.readFileSync(bin);
    const at = after.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(after.subarray(at, at + 8).toString('latin1')).toBe('01001101');
    expect(after.length).toBe(4096 * 2 + SENTINEL.length + 2 + 8);
  });

  it('says so in one line when the file is not an Electron binary', () => {
    const bin = path.join(tempDir(), 'not-electron');
    fs.writeFileSync(bin, 'hello');
    const r = spawnSync(process.execPath, ['scripts/fuses.mjs', bin], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot set the fuses of .*not-electron.*sentinel/);
  });
});
