import fs from 'node:fs';
import path from 'node:path';

/**
 * The real kernel logs of ../shared/kernel-logs (test data, read where they are, never copied into
 * the project): beside the project root. A git worktree elsewhere points at them with
 * SVA_KERNEL_LOGS.
 */
export function kernelLogsDir(): string {
  const root = path.resolve(import.meta.dirname, '../..');
  const beside = path.resolve(root, '../shared/kernel-logs');
  const dir = process.env.SVA_KERNEL_LOGS ?? beside;
  if (!fs.existsSync(path.join(dir, 'SOURCES.md')))
    throw new Error(`The real kernel logs are missing: expected them (with SOURCES.md) in ${dir} (the project root's ../shared/kernel-logs, or set SVA_KERNEL_LOGS to their folder).`);
  return dir;
}

/** One log's path. */
export function kernelLog(name: string): string {
  return path.join(kernelLogsDir(), name);
}
