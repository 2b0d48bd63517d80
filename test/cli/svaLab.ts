import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The command, as `npm run lab` starts it. */
export const BIN = path.resolve('bin/sva-lab.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sva-lab ARGS...` over the archive `home` (SVA_LAB_HOME), run to its end (at most `timeoutMs`). */
export function cliIn(home: string, timeoutMs: number): (...args: string[]) => CliResult {
  return (...args) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SVA_LAB_HOME: home }, timeout: timeoutMs });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
}
