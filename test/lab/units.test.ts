import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../main/lab/errors';
import { parseRange, parseTimeNs } from '../../main/lab/units';
import { APP_VERSION } from '../../main/lab/version';

describe('small parts', () => {
  it('parses times and ranges', () => {
    expect(parseTimeNs('5ms')).toBe(5_000_000);
    expect(parseTimeNs('1.5s')).toBe(1_500_000_000);
    expect(parseTimeNs('20us')).toBe(20_000);
    expect(parseTimeNs('123')).toBe(123);
    expect(() => parseTimeNs('soon')).toThrow(UserError);
    expect(parseRange('1ms:2ms')).toEqual({ fromNs: 1_000_000, toNs: 2_000_000 });
    expect(() => parseRange('2ms:1ms')).toThrow(/end after/);
  });
  it('writes the package version into traces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve('package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
  });
});
