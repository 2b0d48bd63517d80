import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { LabApi, LabEvent, LabMethod } from '../main/contract';

/**
 * Exposes exactly the LabApi on `window.lab`: one invoke per method on a `lab:<method>` channel,
 * and `onEvent`, whose return value unsubscribes. No raw ipcRenderer reaches the page.
 */
const METHODS: LabMethod[] = [
  'catalog', 'listRuns', 'startRun', 'cancelRun', 'validateRun', 'openRun', 'window', 'state',
  'events', 'stepEvent', 'causeChain', 'importTrace', 'deleteRun', 'compareRuns', 'findEvent',
  'startPair', 'verifyRun', 'listAnnotations', 'addAnnotation', 'deleteAnnotation', 'exportRun',
  'sweepPresets', 'listSweeps', 'startSweep', 'getSweep', 'cancelSweep', 'sweepCsv',
  'searchEvents', 'aggregateArea',
];

const api: Record<string, unknown> = {};
for (const m of METHODS) api[m] = (...args: unknown[]) => ipcRenderer.invoke(`lab:${m}`, ...args);
api.onEvent = (cb: (e: LabEvent) => void) => {
  const listener = (_e: IpcRendererEvent, ev: LabEvent) => cb(ev);
  ipcRenderer.on('lab:event', listener);
  return () => {
    ipcRenderer.removeListener('lab:event', listener);
  };
};

contextBridge.exposeInMainWorld('lab', api as unknown as LabApi);
