// One handler per channel of the contract: checks the raw arguments, then calls the back end.
// Electron's ipcMain and the HTTP bridge both dispatch through this table.
import type { ArgsOf, Channel, DiffscopeRequests, ResultOf } from '../../shared/api.ts';
import * as c from './check.ts';
import * as e from './eval/check.ts';
import { sampleRequest } from './sample-check.ts';

interface Handler<C extends Channel> {
  parse(args: unknown[]): ArgsOf<C>;
}

const none = (args: unknown[]): [] => {
  if (args.length !== 0) throw new c.ArgumentError(`expected no arguments, got ${args.length}`);
  return [];
};
const count = (args: unknown[], n: number) => {
  if (args.length !== n) throw new c.ArgumentError(`expected ${n} argument(s), got ${args.length}`);
};

const PARSERS: { [C in Channel]: Handler<C>['parse'] } = {
  'app:info': none,
  'app:doctor': none,
  'models:list': none,
  'models:import': (a) => {
    if (a.length !== 2 && a.length !== 3) throw new c.ArgumentError(`expected 2 or 3 arguments, got ${a.length}`);
    const block = a[2] === undefined || a[2] === null ? undefined : c.int(a[2], 'blockSize');
    return [c.str(a[0], 'path', 4096), c.oneOf(a[1], 'precision', ['fp32', 'fp16', 'int8', 'int4', 'auto'] as const), block];
  },
  'models:remove': (a) => (count(a, 1), [c.str(a[0], 'id', 512)]),
  'adapters:list': (a) => (count(a, 1), [c.adapterFilter(a[0], 'filter')]),
  'adapters:import': (a) => (count(a, 2), [c.str(a[0], 'path', 4096), c.str(a[1], 'modelId', 512)]),
  'adapters:inspect': (a) => (count(a, 1), [c.str(a[0], 'id', 512)]),
  'adapters:similar': (a) => {
    count(a, 2);
    const top = c.int(a[1], 'top');
    if (top < 1 || top > 5000) throw new c.ArgumentError('top: expected 1 to 5000');
    return [c.str(a[0], 'id', 512), top];
  },
  'adapters:map': (a) => (count(a, 1), [c.str(a[0], 'modelId', 512)]),
  'adapters:setTags': (a) => (count(a, 2), [c.str(a[0], 'id', 512), c.arr(a[1], 'tags', (t, w) => c.str(t, w, 100), 100)]),
  'adapters:remove': (a) => (count(a, 1), [c.str(a[0], 'id', 512)]),
  'conversations:list': none,
  'conversations:create': (a) => (count(a, 3), [c.str(a[0], 'modelId', 512), c.stack(a[1], 'stack'), c.nullable(a[2], (t) => c.str(t, 'title', 500))]),
  'conversations:get': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'conversations:rename': (a) => (count(a, 2), [c.int(a[0], 'id'), c.str(a[1], 'title', 500)]),
  'conversations:remove': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'conversations:search': (a) => (count(a, 1), [c.str(a[0], 'query', 1000)]),
  'chat:send': (a) => (
    count(a, 5),
    [c.int(a[0], 'conversationId'), c.str(a[1], 'text', 100_000), c.stack(a[2], 'stack'), c.sampling(a[3], 'sampling'), c.nullable(a[4], (p) => c.int(p, 'parentId'))]
  ),
  'chat:stop': (a) => (count(a, 1), [c.int(a[0], 'replyId')]),
  'chat:regenerate': (a) => (
    count(a, 3),
    [c.int(a[0], 'replyId'), c.nullable(a[1], (s) => c.stack(s, 'stack')), c.nullable(a[2], (s) => c.sampling(s, 'sampling'))]
  ),
  'chat:edit': (a) => (count(a, 2), [c.int(a[0], 'userMessageId'), c.str(a[1], 'text', 100_000)]),
  'grades:set': (a) => {
    count(a, 3);
    const score = c.int(a[1], 'score');
    if (score < 1 || score > 5) throw new c.ArgumentError('score: expected 1 to 5');
    return [c.int(a[0], 'messageId'), score, c.nullable(a[2], (n) => c.str(n, 'note', 10_000))];
  },
  'grades:remove': (a) => (count(a, 1), [c.int(a[0], 'gradeId')]),
  'grades:judge': (a) => (count(a, 1), [c.int(a[0], 'messageId')]),
  'grades:lexical': (a) => (count(a, 1), [c.int(a[0], 'messageId')]),
  'grades:agreement': (a) => (count(a, 1), [e.agreementScope(a[0], 'scope')]),
  'grades:getJudge': none,
  'grades:setJudge': (a) => (count(a, 1), [c.nullable(a[0], (j) => e.judgeConfig(j, 'judge'))]),
  'grades:setJudgeKey': (a) => (count(a, 1), [c.nullable(a[0], (k) => c.str(k, 'key', 4096))]),
  'evals:start': (a) => (count(a, 1), [e.evalRequest(a[0], 'request')]),
  'evals:list': none,
  'evals:get': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:progress': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:cancel': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:resume': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:results': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:items': (a) => (count(a, 2), [c.int(a[0], 'id'), e.evalItemFilter(a[1], 'filter')]),
  'evals:gradeItem': (a) => (count(a, 3), [c.int(a[0], 'itemId'), e.score(a[1], 'score'), c.nullable(a[2], (n) => c.str(n, 'note', 10_000))]),
  'evals:remove': (a) => (count(a, 1), [c.int(a[0], 'id')]),
  'evals:setEngineKey': (a) => (count(a, 1), [c.nullable(a[0], (k) => c.str(k, 'key', 4096))]),
  'evals:setAgentKey': (a) => (count(a, 1), [c.nullable(a[0], (k) => c.str(k, 'key', 4096))]),
  'evals:demoReport': none,
  'evals:runDemoReport': none,
  'samples:draw': (a) => (count(a, 1), [sampleRequest(a[0], 'request')]),
  'score:tokens': (a) => (count(a, 1), [c.scoreRequest(a[0], 'request')]),
  'jobs:list': none,
  'jobs:cancel': (a) => (count(a, 1), [c.str(a[0], 'id', 100)]),
  'settings:get': none,
  'settings:set': (a) => (count(a, 1), [c.settings(a[0], 'patch')]),
  'export:conversation': (a) => (count(a, 2), [c.int(a[0], 'id'), c.oneOf(a[1], 'format', ['md', 'json', 'html', 'jsonl'] as const)]),
  'export:conversations': (a) => (count(a, 1), [c.nullable(a[0], (ids) => c.arr(ids, 'ids', c.int, 100_000))]),
  'export:evalRun': (a) => (count(a, 2), [c.int(a[0], 'id'), c.oneOf(a[1], 'format', ['csv', 'json', 'md', 'html', 'inspect'] as const)]),
};

export function isChannel(name: string): name is Channel {
  return Object.hasOwn(PARSERS, name);
}

/** Checks a call's raw arguments and runs it against the back end. */
export async function dispatch(requests: DiffscopeRequests, channel: string, raw: unknown[]): Promise<unknown> {
  if (!isChannel(channel)) throw new c.ArgumentError(`unknown method "${channel}"`);
  if (!Array.isArray(raw)) throw new c.ArgumentError(`${channel}: arguments must be an array`);
  const args = (PARSERS[channel] as (a: unknown[]) => unknown[])(raw);
  const [domain, method] = channel.split(':') as [keyof DiffscopeRequests, string];
  const fn = (requests[domain] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
  return fn(...args) as Promise<ResultOf<Channel>>;
}
