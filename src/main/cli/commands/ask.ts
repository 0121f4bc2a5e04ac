// `diffscope ask`: one question (or a whole conversation, --messages) to a model with an adapter
// stack, answer streamed to stdout. It goes through the chat service like the app's questions and
// is logged in the catalog as a conversation of its own, unless --no-log (scripts) or --raw (no
// chat template) says otherwise.
import { existsSync, readFileSync } from 'node:fs';
import type { Answer } from '../../engine/client.ts';
import type { FileStackEntry } from '../../engine/engine.ts';
import type { ChatMessage } from '../../engine/hf/tokenizer.ts';
import type { Settings, StackEntry } from '../../../shared/api.ts';
import { int, num, pathWithScale } from '../args.ts';
import { withBackend } from '../backend.ts';
import { adapterFile, importedAdapter, modelArg } from '../refs.ts';
import { partSelection, type Selection } from '../../services/stack-spec.ts';

/** The options of `diffscope ask`, as program.ts declares them. */
export interface AskCommandOptions {
  model?: string;
  diff?: string[];
  dit?: string;
  lora?: string[];
  rank?: string;
  messages?: string;
  raw?: boolean;
  maxTokens?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  repetitionPenalty?: string;
  seed?: string;
  stop?: string[];
  logprobs?: string;
  provider: string;
  log: boolean;
  json?: boolean;
}

export async function askCommand(question: string | undefined, values: AskCommandOptions): Promise<void> {
  if (!values.model) throw new Error('--model ID_OR_DIR is required');
  if (values.messages !== undefined && (question !== undefined || values.raw)) throw new Error('--messages replaces the question (and --raw): give one or the other');
  if (values.messages === undefined && question === undefined) throw new Error('ask takes one question (quote it), or --messages JSON_OR_FILE');
  const messages = values.messages === undefined ? [{ role: 'user', content: question! }] : readMessages(values.messages);
  const rank = values.rank === undefined ? undefined : int(values.rank, '--rank', 0);
  // the diff(s) first, then the DIT adapter, then any other low-rank files: one stack
  const args: { path: string; scale: number; only: Selection; role: StackEntry['role']; rank?: number }[] = [
    ...(values.diff ?? []).map((d) => ({ ...pathWithScale(d, '--diff'), role: 'diff' as const, rank })),
    ...(values.dit ? [{ ...pathWithScale(values.dit, '--dit'), role: 'dit' as const }] : []),
    ...(values.lora ?? []).map((l) => ({ ...pathWithScale(l, '--lora'), role: 'diff' as const })),
  ];
  const sampling = {
    maxTokens: int(values.maxTokens, '--max-tokens', 256),
    temperature: num(values.temperature, '--temperature', 0),
    topK: int(values.topK, '--top-k', 0),
    topP: num(values.topP, '--top-p', 1),
    repetitionPenalty: num(values.repetitionPenalty, '--repetition-penalty', 1),
    seed: int(values.seed, '--seed', 0),
    stop: values.stop ?? [],
  };
  const logprobs = values.logprobs === undefined ? undefined : int(values.logprobs, '--logprobs', 0);
  const log = values.log && !values.raw;

  await withBackend(
    async (b) => {
      const model = await modelArg(b, values.model!);
      const stack: StackEntry[] = [];
      const files: FileStackEntry[] = []; // unlogged answers only: files used as they are
      for (const a of args) {
        if (!adapterFile(a.path)) {
          const found = b.ctx.catalog.adapters.get(a.path);
          if (!found) throw new Error(`${a.path}: neither a file nor an adapter id in the catalog (see \`diffscope adapters\`)`);
          stack.push({ adapterId: found.id, scale: a.scale, role: a.role, ...a.only });
        } else if (log) {
          stack.push({ adapterId: await importedAdapter(b, a.path, model, a.rank), scale: a.scale, role: a.role, ...a.only });
        } else {
          const only = partSelection(a.only, model.manifest.shapes.layers, a.path);
          files.push({ path: a.path, scale: a.scale, ...(a.rank !== undefined ? { rank: a.rank } : {}), ...(only.layers || only.modules ? { only } : {}) });
        }
      }
      const onToken = values.json ? undefined : (_row: number, t: { text: string }) => void process.stdout.write(t.text);
      // the load is its own phase on stderr: seconds for a large model, longer the first time
      const stopWatching = values.json
        ? () => {}
        : b.onEvent((e) => {
            if (e.type !== 'engine' || e.engine.modelId !== model.id) return;
            if (e.engine.state === 'loading') {
              const note = e.engine.packing ? ' (the first load on this machine also packs the weights for this CPU and saves them; later loads map them)' : '';
              process.stderr.write(`loading ${model.id}${note}...\n`);
            } else if (e.engine.state === 'ready' && e.engine.loadMs !== null) {
              process.stderr.write(`loaded in ${(e.engine.loadMs / 1000).toFixed(1)} s on ${e.engine.provider}\n`);
            }
          });
      let answer: Answer;
      let logged: { conversationId: number; replyId: number } | null = null;
      if (log) {
        const started = await b.chat.ask({ modelId: model.id, messages, stack, sampling, logprobs }, onToken);
        ({ answer } = started);
        logged = { conversationId: started.conversationId, replyId: started.replyId };
      } else {
        const prompt = values.raw ? question : undefined;
        answer = await b.chat.answer({ modelId: model.id, messages, prompt, stack, files, sampling, logprobs }, onToken);
      }
      process.once('SIGINT', () => answer.cancel());
      const { rows, stats } = await answer.result.finally(stopWatching);
      const row = rows[0];
      const loadMs = (stats as { loadMs?: number }).loadMs;
      if (values.json) {
        const out: Record<string, unknown> = {
          text: row.text,
          tokens: row.tokens,
          finishReason: row.finishReason,
          stats: {
            promptTokens: stats.promptTokens,
            ttftMs: stats.ttftMs,
            promptTokensPerSec: stats.promptTokensPerSec,
            decodeTokensPerSec: stats.decodeTokensPerSec,
            provider: stats.provider,
            ...(loadMs !== undefined ? { loadMs } : {}),
          },
        };
        if (logprobs !== undefined) out.logprobs = row.logprobs;
        if (logged) Object.assign(out, logged);
        console.log(JSON.stringify(out));
      } else {
        process.stdout.write('\n');
        process.stderr.write(
          `[${row.tokens.length} tokens, ${row.finishReason}; prompt ${stats.promptTokens} tok at ${stats.promptTokensPerSec.toFixed(0)} tok/s, ` +
            `first token ${stats.ttftMs.toFixed(0)} ms, decode ${stats.decodeTokensPerSec.toFixed(1)} tok/s on ${stats.provider}` +
            `${logged ? `; logged as conversation ${logged.conversationId}` : ''}]\n`,
        );
      }
    },
    { provider: values.provider as Settings['provider'] },
  );
}

/**
 * --messages: a conversation as a JSON array of {role: system|user|assistant, content}, ending
 * with the user's turn, given inline (starts with `[`) or as a file (an exported reply's
 * "context" has this shape, docs/export.md).
 */
export function readMessages(spec: string): ChatMessage[] {
  const inline = spec.trimStart().startsWith('[');
  const where = inline ? '--messages' : `--messages ${spec}`;
  if (!inline && !existsSync(spec)) throw new Error(`${where}: no such file (give a JSON array of {role, content}, inline or in a file)`);
  let value: unknown;
  try {
    value = JSON.parse(inline ? spec : readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${where}: expected a non-empty JSON array of {role, content}`);
  value.forEach((m: unknown, i) => {
    const r = m as { role?: unknown; content?: unknown } | null;
    if (typeof r !== 'object' || r === null || !['system', 'user', 'assistant'].includes(r.role as string) || typeof r.content !== 'string') {
      throw new Error(`${where}: message ${i}: expected {"role": "system" | "user" | "assistant", "content": "..."}`);
    }
  });
  const out = (value as { role: string; content: string }[]).map((m) => ({ role: m.role, content: m.content }));
  if (out.at(-1)!.role !== 'user') throw new Error(`${where}: the last message is the ${out.at(-1)!.role}'s; end with the user's turn to get a reply`);
  return out;
}
