// Messages between an engine host and its worker thread.
import type { AskOptions, AskResult, AskRow } from './engine.ts';
import type { Manifest } from './library.ts';
import type { SessionOptions } from './session.ts';

export interface ModelInfo {
  dir: string;
  provider: string;
  skipped: { provider: string; reason: string }[];
  manifest: Manifest;
}

export type WorkerRequest =
  | { op: 'load'; reqId: number; dir: string; options: SessionOptions }
  | { op: 'ask'; reqId: number; dir: string; rows: AskRow[]; options: AskOptions; cancel: SharedArrayBuffer }
  | { op: 'unload'; reqId: number; dir: string };

export type WorkerReply =
  | { reqId: number; type: 'loaded'; info: ModelInfo }
  | { reqId: number; type: 'token'; row: number; id: number; text: string }
  | { reqId: number; type: 'answer'; result: AskResult }
  | { reqId: number; type: 'unloaded' }
  | { reqId: number; type: 'error'; message: string };
