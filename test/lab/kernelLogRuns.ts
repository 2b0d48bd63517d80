import fs from 'node:fs';
import type { Lab } from '../../main/lab/index';
import { kernelLog, kernelLogsDir } from '../trace/kernelLogs';

/**
 * Import the real kernel logs (test/trace/kernelLogs.ts) into `lab` as observed runs: every log, or
 * those whose two-digit number is in `only`. Returns the run ids by that number ('01', '04'...).
 */
export async function importKernelLogs(lab: Lab, only?: readonly string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const f of fs.readdirSync(kernelLogsDir()).filter((x) => x.endsWith('.log') && (!only || only.includes(x.slice(0, 2))))) {
    const item = await lab.importTrace({ name: kernelLog(f), path: kernelLog(f) });
    ids.set(f.slice(0, 2), item.id);
  }
  return ids;
}
