// The contract's new grading and evaluation channels: every one has a parser, and the parsers
// refuse what a renderer (or a page talking to `serve`) should not be able to send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_CHANNELS } from '../../src/shared/api.ts';
import { isChannel } from '../../src/main/services/handlers.ts';
import { agreementScope, evalRequest, judgeConfig } from '../../src/main/services/eval/check.ts';

test('every grading, eval and export channel is dispatched', () => {
  for (const domain of ['grades', 'evals', 'export'] as const) {
    for (const channel of Object.values(API_CHANNELS[domain])) assert.ok(isChannel(channel), channel);
  }
  assert.ok(isChannel('evals:start') && isChannel('grades:agreement') && isChannel('export:evalRun'));
});

test('an eval request is checked field by field', () => {
  const ok = evalRequest({ modelId: 'm', ditAdapterId: 'd', selection: { split: 'test', limit: 5 }, methods: ['dit', '20q-trigger'], judge: null, batch: 8, engine: { kind: 'openai', baseUrl: 'http://gpu:8000/v1' } }, 'request');
  assert.deepEqual(ok.methods, ['dit', '20q-trigger']);
  assert.equal(ok.engine!.kind, 'openai');
  const minimal = evalRequest({ modelId: 'm', methods: ['base'] }, 'request');
  assert.deepEqual([minimal.ditAdapterId, minimal.judge, minimal.selection], [null, null, {}]);
  assert.throws(() => evalRequest({ modelId: 'm', methods: ['guess'] }, 'request'), /request.methods\[0\]: expected one of dit, base/);
  assert.throws(() => evalRequest({ modelId: 'm', methods: ['dit'], batchSize: 4 }, 'request'), /unknown field "batchSize"/);
  assert.throws(() => evalRequest({ methods: ['dit'] }, 'request'), /modelId: required/);
  assert.throws(() => evalRequest({ modelId: 'm', methods: ['dit'], engine: { kind: 'openai', baseUrl: 'file:///etc' } }, 'request'), /http\(s\) URL/);
  assert.throws(() => evalRequest({ modelId: 'm', methods: ['dit'], selection: { split: 'dev' } }, 'request'), /split/);
});

test('a judge is a URL and a model, or a catalog model; agreement scopes are numbers', () => {
  assert.deepEqual(judgeConfig({ kind: 'openai', baseUrl: 'https://api.example.com/v1', model: 'gpt' }, 'judge'), { kind: 'openai', baseUrl: 'https://api.example.com/v1', model: 'gpt' });
  assert.deepEqual(judgeConfig({ kind: 'local', modelId: 'm' }, 'judge'), { kind: 'local', modelId: 'm' });
  assert.throws(() => judgeConfig({ kind: 'openai', baseUrl: 'https://x' }, 'judge'), /needs baseUrl and model/);
  assert.throws(() => judgeConfig({ kind: 'openai', baseUrl: 'https://x', model: 'm', apiKey: 'k' }, 'judge'), /unknown field "apiKey"/);
  assert.deepEqual(agreementScope(undefined, 'scope'), {});
  assert.throws(() => agreementScope({ evalRunId: '3' }, 'scope'), /an integer/);
});
