// Messages between an engine host (worker thread or child process) and its caller.
import type { AskOptions, AskResult, AskRow } from './engine.ts';
import type { Manifest } from './library.ts';
import type { ScoreInput, ScoreResult } from './score.ts';
import type { SessionOptions } from './session.ts';

export interface ModelInfo {
  dir: string;
  provider: string;
  skipped: { provider: string; reason: string }[];
  manifest: Manifest;
}

export type HostRequest =
  | { op: 'load'; reqId: number; dir: string; options: SessionOptions }
  | { op: 'ask'; reqId: number; dir: string; rows: AskRow[]; options: AskOptions }
  | { op: 'score'; reqId: number; dir: string; input: ScoreInput }
  | { op: 'cancel'; reqId: number; target: number }
  | { op: 'unload'; reqId: number; dir: string };

export type HostReply =
  | { reqId: number; type: 'loaded'; info: ModelInfo }
  | { reqId: number; type: 'token'; row: number; id: number; text: string }
  | { reqId: number; type: 'answer'; result: AskResult }
  | { reqId: number; type: 'scored'; result: ScoreResult }
  | { reqId: number; type: 'unloaded' }
  | { reqId: number; type: 'error'; message: string };

/** Either end of a message channel (a worker port, a child process, an Electron utility process). */
export interface Port<In, Out> {
  onMessage(fn: (m: In) => void): void;
  send(m: Out): void;
}
