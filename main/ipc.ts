import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { LAB_METHODS, type LabApi, type LabEvent } from './contract';
import { callLab, UserError } from './lab/index';

/**
 * The IPC adapter: one handler per LabApi method, no logic of its own. Every call must come from
 * the lab's own window and page (sender checked) and its arguments pass the same schemas as HTTP
 * (callLab, main/lab/args.ts).
 * User errors cross the bridge as plain Error messages (one sentence).
 */
export function registerIpc(api: LabApi, win: BrowserWindow, pageUrl: (u: string) => boolean): () => void {
  const check = (e: IpcMainInvokeEvent): void => {
    const frameUrl = e.senderFrame?.url ?? '';
    if (e.sender.id !== win.webContents.id || !pageUrl(frameUrl)) throw new Error('IPC from an unexpected sender is refused.');
  };
  for (const m of LAB_METHODS) {
    ipcMain.handle(`lab:${m}`, async (e, ...args: unknown[]) => {
      check(e);
      try {
        return await callLab(api, m, args);
      } catch (err) {
        if (err instanceof UserError) throw new Error(err.message, { cause: err });
        throw err;
      }
    });
  }
  const off = api.onEvent((ev: LabEvent) => {
    if (!win.isDestroyed()) win.webContents.send('lab:event', ev);
  });
  return () => {
    off();
    for (const m of LAB_METHODS) ipcMain.removeHandler(`lab:${m}`);
  };
}
