// An exported JSON conversation carries everything needed to reproduce each reply with
// `diffscope ask`: the test runs the recorded command and gets the same text. Also the CLI's
// export formats: Markdown with provenance, JSONL of every conversation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationDoc } from '../../src/main/services/export/conversation-doc.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';
import { oneLineError, runCli } from '../helpers/cli.ts';

describe('export', () => {
  let s: EvalSetup;
  let conversationId: number;

  before(async () => {
    s = await evalSetup({ diffs: 2 });
    const api = s.backend.requests;
    const stack = [{ adapterId: s.diffs[1].id, scale: 0.5, role: 'diff' as const }, { adapterId: s.dit.id, scale: 1, role: 'dit' as const }];
    const c = await api.conversations.create(s.modelId, stack, 'to reproduce');
    conversationId = c.id;
    const first = await api.chat.send(c.id, 'What topic have you been trained on?', stack, { temperature: 0.8, seed: 5, maxTokens: 12, topK: 40, topP: 0.9 }, null);
    await s.backend.chat.settled(first.reply.id);
    await api.grades.lexical(first.reply.id);
    const second = await api.chat.send(c.id, 'Say more.', stack, { temperature: 0, maxTokens: 4 }, first.reply.id);
    await s.backend.chat.settled(second.reply.id);
  });
  after(async () => {
    await s?.backend.close();
  });

  it('writes JSON whose recorded `diffscope ask` command gives the same reply', async () => {
    const out = join(s.home, 'conversation.json');
    const run = await runCli(['export', String(conversationId), '--format', 'json', '--out', out], s.home);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as ConversationDoc;
    assert.equal(doc.schema, 'diffscope.conversation/1');
    assert.equal(doc.model!.id, s.modelId);
    assert.match(doc.model!.sourceSha256, /^[0-9a-f]{64}$/);
    assert.equal(doc.adapters[s.dit.id]!.source.sha256.length, 64);
    assert.equal(doc.adapters[s.diffs[1].id]!.label, 'topic 1');
    const [first, second] = doc.messages.filter((m) => m.role === 'assistant');
    assert.deepEqual(first.stack!.map((x) => [x.adapterId, x.scale, x.role]), [[s.diffs[1].id, 0.5, 'diff'], [s.dit.id, 1, 'dit']]);
    assert.deepEqual([first.sampling!.temperature, first.sampling!.topK, first.sampling!.topP, first.seed, first.provider], [0.8, 40, 0.9, 5, 'cpu']);
    assert.equal(first.grades[0].method, 'lexical');
    assert.deepEqual(first.context, [{ role: 'user', content: 'What topic have you been trained on?' }]);
    assert.equal(first.reproduce!.exact, true);
    assert.match(first.reproduce!.command, /^npx diffscope ask --model \S+ --diff \S+:0\.5 --dit \S+:1 .*--seed 5 .*'What topic have you been trained on\?'$/);
    assert.ok(first.text.length > 0);

    const [command, ...rest] = first.reproduce!.argv;
    const ask = await runCli([command, '--json', ...rest], s.home);
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(JSON.parse(ask.stdout).text, first.text);

    // a reply deeper in the conversation: its three messages of context go on the command line
    assert.equal(second.context!.length, 3);
    assert.equal(second.reproduce!.exact, true, second.reproduce!.why ?? '');
    assert.deepEqual(JSON.parse(second.reproduce!.argv.at(-1)!), second.context);
    const [command2, ...rest2] = second.reproduce!.argv;
    const ask2 = await runCli([command2, '--json', ...rest2], s.home);
    assert.equal(ask2.code, 0, ask2.stderr);
    assert.equal(JSON.parse(ask2.stdout).text, second.text);
  });

  it('`ask --messages` takes a conversation from a file, and names what is wrong with a bad one', async () => {
    const file = join(s.home, 'context.json');
    const context = [{ role: 'user', content: 'Hello.' }, { role: 'assistant', content: 'Hi.' }, { role: 'user', content: 'And now?' }];
    writeFileSync(file, JSON.stringify(context));
    const ok = await runCli(['ask', '--model', s.modelId, '--max-tokens', '3', '--json', '--messages', file], s.home);
    assert.equal(ok.code, 0, ok.stderr);
    const inline = await runCli(['ask', '--model', s.modelId, '--max-tokens', '3', '--json', '--messages', JSON.stringify(context)], s.home);
    assert.equal(JSON.parse(inline.stdout).text, JSON.parse(ok.stdout).text, 'inline and file give the same reply');
    const cases: [string, RegExp][] = [
      ['[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]', /--messages: the last message is the assistant's; end with the user's turn/],
      ['[{"role": "robot", "content": "a"}]', /--messages: message 0: expected \{"role": "system" \| "user" \| "assistant"/],
      ['[{"role": "user", "content": "a"}', /--messages: not JSON/],
      [join(s.home, 'missing.json'), /missing\.json: no such file/],
    ];
    for (const [spec, want] of cases) {
      assert.match(oneLineError(await runCli(['ask', '--model', s.modelId, '--messages', spec], s.home)), want);
    }
    assert.match(oneLineError(await runCli(['ask', '--model', s.modelId, '--messages', file, 'a question'], s.home)), /--messages replaces the question/);
  });

  it('writes Markdown with provenance, and every conversation as JSONL', async () => {
    const md = await runCli(['export', String(conversationId), '--format', 'md'], s.home);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# to reproduce/);
    assert.match(md.stdout, /- stack: diff \S+ x0\.5 \(sha256 [0-9a-f]{12}…\) \+ dit/);
    assert.match(md.stdout, /- reproduce: `npx diffscope ask /);
    await s.backend.requests.conversations.create(s.modelId, [], 'second one');
    const all = await runCli(['export', '--all'], s.home);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as ConversationDoc);
    // every conversation of the catalog, once each: the two made here and those the reproduced
    // `diffscope ask` commands above logged (the CLI logs its answers like the app)
    const listed = await s.backend.requests.conversations.list();
    assert.deepEqual(lines.map((d) => d.conversation.id).sort((a, b) => a - b), listed.map((c) => c.id).sort((a, b) => a - b));
    const titles = lines.map((d) => d.conversation.title);
    assert.ok(titles.includes('to reproduce') && titles.includes('second one'), titles.join(' | '));
    const bad = await runCli(['export', String(conversationId), '--format', 'pdf'], s.home);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /a conversation exports as md, json, html, jsonl/);
  });
});
