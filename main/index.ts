import { app, BrowserWindow, dialog, Menu, net, protocol, session, shell } from 'electron';
import { join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LabApi, LabEvent } from './contract';
import { registerIpc } from './ipc';
import { isAllowedExternal, isOwnPageUrl } from './external';
import { archiveDir, createLab, CSP } from './lab/index';

/**
 * Electron main: one window with secure defaults (context isolation, sandbox, no Node in the page,
 * a strict CSP, navigation and new windows refused, permissions denied), the IPC adapter over the
 * lab service, an app menu with native dialogs. Runs execute in the service's worker threads.
 */
const APP_SCHEME = 'app';
const APP_ORIGIN = `${APP_SCHEME}://lab`;
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const rendererDir = resolve(import.meta.dirname, '../renderer');
const devUrl = process.env.ELECTRON_RENDERER_URL;

function isOwnPage(u: string): boolean {
  return isOwnPageUrl(u, devUrl, APP_SCHEME, 'lab');
}

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (req) => {
    const { pathname } = new URL(req.url);
    const file = normalize(join(rendererDir, decodeURIComponent(pathname)));
    const target = file.startsWith(rendererDir + sep) ? file : join(rendererDir, 'index.html');
    const res = await net.fetch(pathToFileURL(target).toString()).catch(() => net.fetch(pathToFileURL(join(rendererDir, 'index.html')).toString()));
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', CSP);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

function menu(win: BrowserWindow, api: LabApi, send: (e: LabEvent) => void): Menu {
  const openTrace = async (): Promise<void> => {
    const r = await dialog.showOpenDialog(win, { title: 'Open trace', properties: ['openFile'], filters: [{ name: 'SVA Lab trace', extensions: ['sqlite'] }] });
    if (r.canceled || r.filePaths.length === 0) return;
    try {
      const item = await api.importTrace({ name: r.filePaths[0], path: r.filePaths[0] });
      send({ type: 'open-run', runId: item.id });
    } catch (e) {
      await dialog.showMessageBox(win, { type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  };
  return Menu.buildFromTemplate([
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New run', accelerator: 'CmdOrCtrl+N', click: () => send({ type: 'menu', command: 'new-run' }) },
        { label: 'Open trace…', accelerator: 'CmdOrCtrl+O', click: () => void openTrace() },
        { label: 'Import…', accelerator: 'CmdOrCtrl+I', click: () => void openTrace() },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => send({ type: 'menu', command: 'export' }) },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ]);
}

async function createWindow(api: LabApi): Promise<void> {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'SVA Lab',
    backgroundColor: '#101318',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const wc = win.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    // Documentation links (an allowlist: external.ts) open in the user's browser, never in a new
    // app window; anything else is refused.
    if (isAllowedExternal(url)) void shell.openExternal(url);
    else console.warn(`sva-lab: refused to open ${url.slice(0, 200)}: only the documentation in DOC_PREFIXES opens outside the app.`);
    return { action: 'deny' };
  });
  wc.on('will-navigate', (e, url) => {
    if (!isOwnPage(url)) e.preventDefault();
  });
  const send = (e: LabEvent): void => {
    if (!win.isDestroyed()) wc.send('lab:event', e);
  };
  const off = registerIpc(api, win, isOwnPage);
  win.on('closed', off);
  Menu.setApplicationMenu(menu(win, api, send));
  await win.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
  // No page may open a window or navigate away from the app, whichever web contents it is.
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (e, url) => {
    if (!isOwnPage(url)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isOwnPage(url)) e.preventDefault();
  });
});

app.whenReady().then(async () => {
  // The page needs no permission (camera, notifications, clipboard, HID...): every request and every check is refused.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.setDevicePermissionHandler(() => false);
  serveRenderer();
  // A long-lived lab: traces a killed recorder left 'running' are closed as interrupted (in a worker).
  const api = createLab(archiveDir(), { recoverInterrupted: true });
  await createWindow(api);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(api);
  });
}).catch((e: unknown) => {
  dialog.showErrorBox('SVA Lab could not start', e instanceof Error ? e.message : String(e));
  app.quit();
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
