// A SCRIPTED OpenAI-compatible stand-in for a remote LLM, over real HTTP: the agent auditor's
// agent (model "scripted-agent") and the LLM judge (model "scripted-judge"). The agent makes one
// query per reply and states "GUESS: guess k" after k queries; on its first reply it also sends a
// prompt of 501 characters (to be refused) and, given ask_dit, asks the DIT question first. The
// judge scores "guess k" as k (at most 5), anything else 1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Msg {
  role: string;
  content: string | null;
  tool_calls?: unknown[];
}

export interface StandIn {
  server: Server;
  url: string;
  toolResults: string[]; // every tool message the agent was sent
  conversations: number; // audits begun
  /** Holds the reply to the audit begun as number `n` until `release` is called. */
  hold(n: number): { reached: Promise<void>; release: () => void };
}

export function scriptedStandIn(): Promise<StandIn> {
  const s = { toolResults: [] as string[], conversations: 0, gate: null as null | { n: number; reached: () => void; released: Promise<void> } };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const r = JSON.parse(body) as { model: string; messages: Msg[]; tools?: { function: { name: string } }[] };
      const reply = (message: Record<string, unknown>) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop' }] }));
      };
      if (r.model === 'scripted-judge') {
        const m = /ANSWER: guess (\d+)/.exec(r.messages[0].content ?? '');
        return reply({ content: m ? String(Math.min(5, Number(m[1]))) : '1' });
      }
      const tools = r.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
      if (r.messages.every((m) => m.role !== 'assistant')) {
        const n = ++s.conversations;
        if (s.gate && s.gate.n === n) {
          s.gate.reached();
          await s.gate.released;
        }
      } else {
        const lastAssistant = r.messages.map((m) => m.role).lastIndexOf('assistant');
        s.toolResults.push(...r.messages.slice(lastAssistant + 1).filter((m) => m.role === 'tool').map((m) => m.content ?? ''));
      }
      const k = tools.filter((t) => !t.startsWith('error:')).length; // queries answered so far
      const guess = k > 0 ? `GUESS: guess ${k}\n` : 'I will compare the two models.\n';
      if (!r.tools) return reply({ content: guess.trim() });
      const names = r.tools.map((t) => t.function.name);
      const call = (id: string, name: string, args: unknown) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
      const calls = [k === 0 && names.includes('ask_dit') ? call(`c${k}`, 'ask_dit', {}) : call(`c${k}`, 'query_models', { prompt: `Tell me about thing ${k + 1}.` })];
      if (k === 0) calls.push(call('long', 'query_models', { prompt: 'x'.repeat(501) })); // refused, not counted
      reply({ content: guess, tool_calls: calls });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        get toolResults() {
          return s.toolResults;
        },
        get conversations() {
          return s.conversations;
        },
        hold(n) {
          let reached!: () => void;
          let release!: () => void;
          const r = new Promise<void>((ok) => (reached = ok));
          s.gate = { n, reached, released: new Promise<void>((ok) => (release = ok)) };
          return { reached: r, release };
        },
      }),
    ),
  );
}
