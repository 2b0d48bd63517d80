import type { LabApi } from '../../../main/contract';
import { createHttpLab } from './httpLab';

let current: LabApi | null = null;

/**
 * The transport, picked once at start: the preload's `window.lab` inside Electron, else the HTTP
 * client talking to the `serve`-mode server that delivered this page.
 */
export function pickLab(win: Pick<Window, 'lab' | 'location'>): LabApi {
  if (win.lab) return win.lab;
  return createHttpLab({ baseUrl: win.location.origin });
}

/** Install the LabApi the stores use (the app at start; tests with a fake). */
export function setLab(api: LabApi): void {
  current = api;
}

/** The LabApi in use. Stores call it inside actions, never at setup. */
export function lab(): LabApi {
  if (!current) throw new Error('No LabApi installed: call setLab() before using the stores.');
  return current;
}
