import path from 'node:path';
import { kernelLogsDir as findKernelLogs } from '../kernel_logs';

/**
 * The real kernel logs of ../shared/kernel-logs (test data, read where they are, never copied into
 * the project): found by test/kernel_logs.ts (beside the project root, beside a worktree's main
 * checkout, SVA_KERNEL_LOGS, or the workplace's /work/shared).
 */
export function kernelLogsDir(): string {
  return findKernelLogs();
}

/** One log's path. */
export function kernelLog(name: string): string {
  return path.join(kernelLogsDir(), name);
}
