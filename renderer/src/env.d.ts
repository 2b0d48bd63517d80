import type { LabApi } from '../../main/contract';

declare global {
  interface Window {
    /** Set by the Electron preload (exactly `LabApi`); absent in a browser (serve mode). */
    lab?: LabApi;
  }
}

export {};
