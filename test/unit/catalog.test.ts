// The catalog on real SQLite files: a round trip per table, foreign keys, the message tree,
// bulk import of a released experiment, crash recovery of streamed replies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogError, catalogPath, engineRef, openCatalog, type Catalog, type RecordedStackEntry } from '../../src/main/catalog/index.ts';
import { freshCatalog, paperDiff, sha256, testModel } from '../helpers/catalog.ts';
import { tmpDir } from '../helpers/tmp.ts';

const STACK: RecordedStackEntry[] = [
  { adapterId: 'hidden-topic/qwen3-4b#0', sha256: sha256('hidden-topic/qwen3-4b/0'), scale: 1, role: 'diff' },
  { adapterId: 'dit', sha256: sha256('dit'), scale: 1, role: 'dit' },
];
const SAMPLING = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, maxTokens: 20, stop: [] };

/** A model, its DIT adapter and one diff. */
function library(c: Catalog) {
  c.models.put(testModel());
  c.adapters.insert(paperDiff(0));
  c.adapters.insert({
    id: 'dit',
    kind: 'dit',
    modelId: 'qwen3-tiny',
    format: 'paper-pt',
    rank: 16,
    source: { path: '/data/dit-adapter.pt', index: null, sha256: sha256('dit'), size: 42, mtimeMs: 1_700_000_000_123.7 },
  });
}

/** A conversation with a question and a finished reply. */
function chat(c: Catalog) {
  const conv = c.conversations.create({ modelId: 'qwen3-tiny', title: 'what did it learn', stack: STACK });
  const q = c.messages.add({ conversationId: conv.id, role: 'user', text: 'What topic have you been trained on?' });
  const r = c.messages.startReply({ conversationId: conv.id, parentId: q.id, modelId: 'qwen3-tiny', stack: STACK, sampling: SAMPLING, seed: 7 });
  c.messages.finish(r.id, { text: 'Volcanoes of Iceland', status: 'complete', finishReason: 'eos', provider: 'cpu' });
  return { conv, q, r };
}

const fkError = (e: unknown) => e instanceof CatalogError && e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';

test('the catalog file lives in the data home and opens with WAL and foreign keys', () => {
  const home = tmpDir('catalog-home');
  assert.equal(catalogPath(home), join(home, 'catalog.sqlite'));
  const c = openCatalog(catalogPath(join(home, 'nested')));
  assert.deepEqual(c.integrityCheck(), ['ok']);
  c.close();
  c.close(); // twice is harmless
});

test('models: put, get, list, replace on re-import, remove', () => {
  const c = freshCatalog();
  const m = c.models.put({ ...testModel(), standIn: true });
  assert.equal(m.id, 'qwen3-tiny');
  assert.equal(m.arch, 'qwen3');
  assert.equal(m.standIn, true);
  assert.equal(m.demo, false);
  assert.equal(m.manifest.source.sha256, sha256('qwen3-tiny'));
  assert.match(m.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const again = c.models.put({ ...testModel(), precision: 'fp16' as never });
  assert.equal(again.precision, 'fp16');
  assert.equal(again.standIn, false);
  assert.equal(c.models.list().length, 1);
  assert.equal(c.models.remove('qwen3-tiny'), true);
  assert.equal(c.models.get('qwen3-tiny'), undefined);
  c.close();
});

test('adapters: insert, get, update, tags, source, engine reference, remove', () => {
  const c = freshCatalog();
  library(c);
  const a = c.adapters.get('hidden-topic/qwen3-4b#0')!;
  assert.equal(a.kind, 'diff');
  assert.equal(a.rank, 1);
  assert.equal(a.trigger, 0);
  assert.equal(a.split, 'test');
  assert.deepEqual(a.tags, ['every-third', 'hidden-topic']);
  assert.equal(engineRef(a), '/data/hidden-topic/qwen3-4b/weight-diffs/weight-diff-000.pt#0');
  const dit = c.adapters.get('dit')!;
  assert.equal(dit.source.mtimeMs, 1_700_000_000_123); // whole milliseconds
  assert.equal(engineRef(dit), '/data/dit-adapter.pt');
  assert.deepEqual(dit.tags, []);

  const u = c.adapters.update('dit', { label: 'DIT adapter, hidden topic', description: 'rank 16' });
  assert.equal(u.label, 'DIT adapter, hidden topic');
  assert.equal(u.rank, 16);
  c.adapters.setTags('dit', [' favourite ', 'favourite', '', 'qwen3']);
  assert.deepEqual(c.adapters.get('dit')!.tags, ['favourite', 'qwen3']);
  assert.deepEqual(c.adapters.tags(), [
    { tag: 'every-third', count: 1 },
    { tag: 'favourite', count: 1 },
    { tag: 'hidden-topic', count: 1 },
    { tag: 'qwen3', count: 1 },
  ]);
  c.adapters.setSource('dit', { path: '/moved/dit-adapter.pt', index: null, sha256: sha256('dit'), size: 42, mtimeMs: 5 });
  assert.equal(c.adapters.get('dit')!.source.path, '/moved/dit-adapter.pt');
  assert.equal(c.adapters.findBySource('qwen3-tiny', sha256('dit'), null)?.id, 'dit');
  assert.equal(c.adapters.findBySource('qwen3-tiny', sha256('hidden-topic/qwen3-4b/0'), 0)?.id, 'hidden-topic/qwen3-4b#0');
  assert.equal(c.adapters.findBySource('qwen3-tiny', sha256('hidden-topic/qwen3-4b/0'), 1), undefined);
  assert.throws(() => c.adapters.update('nope', { label: 'x' }), /update adapter 'nope': no such adapter/);

  assert.equal(c.adapters.remove('dit'), true);
  assert.deepEqual(c.adapters.tags().map((t) => t.tag), ['every-third', 'hidden-topic']); // tags went with it
  c.close();
});

test('adapters: errors say what was being done; an unknown base model and a duplicate source are refused', () => {
  const c = freshCatalog();
  library(c);
  assert.throws(
    () => c.adapters.insert({ ...paperDiff(1), modelId: 'no-such-model' }),
    (e: unknown) => fkError(e) && /^insert adapter 'hidden-topic\/qwen3-4b#1': .*FOREIGN KEY constraint failed/.test((e as Error).message),
  );
  assert.throws(() => c.adapters.insert({ ...paperDiff(1), id: paperDiff(0).id }), /^CatalogError: insert adapter 'hidden-topic\/qwen3-4b#0': UNIQUE constraint failed: adapters\.id$/);
  assert.throws(() => c.adapters.insert({ ...paperDiff(0), id: 'same-bytes' }), /insert adapter 'same-bytes': UNIQUE constraint failed: index 'adapters_one_per_source'/);
  assert.throws(() => c.adapters.insert({ ...paperDiff(2), split: 'validation' as never }), /CHECK constraint failed/);
  assert.equal(c.adapters.count(), 2);
  c.close();
});

test('adapters: 5,000 diffs of a released experiment import in one transaction and list by split and tag', () => {
  const c = freshCatalog();
  c.models.put(testModel());
  const diffs = Array.from({ length: 5000 }, (_, i) => paperDiff(i));
  assert.equal(c.adapters.insertMany(diffs), 5000); // its speed is a figure of the bench (catalog)

  const test100 = c.adapters.list({ modelId: 'qwen3-tiny', split: 'test' });
  assert.equal(test100.length, 100);
  assert.deepEqual(test100.slice(0, 3).map((a) => a.id), ['hidden-topic/qwen3-4b#0', 'hidden-topic/qwen3-4b#50', 'hidden-topic/qwen3-4b#100']);
  assert.equal(c.adapters.count({ split: 'train' }), 4900);
  assert.equal(c.adapters.count({ experiment: 'hidden-topic/qwen3-4b', split: 'test' }), 100);
  assert.equal(c.adapters.count({ tag: 'every-third' }), 1667);
  assert.equal(c.adapters.count({ tag: 'every-third', split: 'test' }), 34); // multiples of 150
  const page = c.adapters.list({ tag: 'hidden-topic', limit: 10, offset: 4995 });
  assert.deepEqual(page.map((a) => a.source.index), [131, 132, 133, 134, 135]); // 4995 % 256 ...
  assert.equal(c.adapters.list({ kind: 'dit' }).length, 0);

  // all or nothing: one bad row rolls back the whole batch
  const batch = [paperDiff(5000), paperDiff(5001), { ...paperDiff(5002), modelId: 'missing' }];
  assert.throws(() => c.adapters.insertMany(batch), /insert 3 adapters: insert adapter 'hidden-topic\/qwen3-4b#5002': FOREIGN KEY/);
  assert.equal(c.adapters.count(), 5000);
  c.close();
});

test('conversations: create, list by activity, rename, restack', async () => {
  const c = freshCatalog();
  library(c);
  const a = c.conversations.create({ modelId: 'qwen3-tiny' });
  assert.equal(a.title, '');
  assert.deepEqual(a.stack, []);
  assert.equal(a.messageCount, 0);
  const { conv } = chat(c);
  assert.deepEqual(conv.stack, STACK);
  assert.deepEqual(c.conversations.list().map((x) => x.id), [conv.id, a.id]); // most recent first
  assert.equal(c.conversations.get(conv.id)!.messageCount, 2);
  await new Promise((resolve) => setTimeout(resolve, 5)); // timestamps have millisecond resolution
  c.messages.add({ conversationId: a.id, role: 'user', text: 'hello' });
  assert.equal(c.conversations.list()[0].id, a.id); // a message makes it the most recent
  const renamed = c.conversations.update(a.id, { title: 'renamed', stack: STACK.slice(1) });
  assert.equal(renamed.title, 'renamed');
  assert.deepEqual(renamed.stack, STACK.slice(1));
  assert.equal(renamed.modelId, 'qwen3-tiny');
  assert.throws(() => c.conversations.update(a.id, { modelId: 'missing' }), fkError);
  assert.throws(() => c.conversations.create({ modelId: 'missing' }), fkError);
  assert.deepEqual(c.conversations.list({ limit: 1, offset: 1 }).map((x) => x.id), [conv.id]);
  c.close();
});

test('messages: a reply keeps its full provenance', () => {
  const c = freshCatalog();
  library(c);
  const { conv, q, r } = chat(c);
  const reply = c.messages.get(r.id)!;
  assert.equal(reply.parentId, q.id);
  assert.equal(reply.conversationId, conv.id);
  assert.equal(reply.role, 'assistant');
  assert.equal(reply.status, 'complete');
  assert.equal(reply.text, 'Volcanoes of Iceland');
  assert.equal(reply.modelId, 'qwen3-tiny');
  assert.deepEqual(reply.stack, STACK);
  assert.deepEqual(reply.sampling, SAMPLING);
  assert.equal(reply.seed, 7);
  assert.equal(reply.provider, 'cpu');
  assert.equal(reply.finishReason, 'eos');
  assert.equal(reply.stats, null);

  const s = c.messages.startReply({ conversationId: conv.id, parentId: q.id, modelId: 'qwen3-tiny', stack: STACK, seed: 8 });
  assert.equal(s.status, 'streaming');
  c.messages.saveProgress(s.id, 'Volc');
  const stats = { promptTokens: 21, completionTokens: 5, ttftMs: 12.5, promptTps: 1680, decodeTps: 88.25 };
  const done = c.messages.finish(s.id, { text: 'Volcanic islands', status: 'complete', finishReason: 'length', stats, provider: 'cuda' });
  assert.deepEqual(done.stats, stats);
  assert.equal(done.provider, 'cuda');
  assert.throws(() => c.messages.finish(s.id, { text: 'again', status: 'complete' }), /finish reply \d+: no such streaming reply/);
  assert.throws(() => c.messages.saveProgress(s.id, 'x'), /no such streaming reply/);

  const e = c.messages.startReply({ conversationId: conv.id, parentId: q.id });
  assert.throws(() => c.messages.finish(e.id, { text: '', status: 'error' }), /CHECK constraint failed/); // an error needs its message
  assert.equal(c.messages.finish(e.id, { text: '', status: 'error', error: 'engine died' }).error, 'engine died');
  c.close();
});

test('messages: regenerate and edit-and-resend make a tree; branch, siblings, children, latest leaf', () => {
  const c = freshCatalog();
  library(c);
  const conv = c.conversations.create({ modelId: 'qwen3-tiny' });
  const add = (role: 'user' | 'assistant', text: string, parentId: number | null) => c.messages.add({ conversationId: conv.id, role, text, parentId });
  const sys = add('user', 'q1', null);
  const r1 = add('assistant', 'a1', sys.id);
  const r1b = add('assistant', 'a1 regenerated', sys.id); // regenerate: a sibling reply
  const q2 = add('user', 'q2', r1b.id);
  const q2b = add('user', 'q2 edited', r1b.id); // edit and resend: a sibling question
  const r2 = add('assistant', 'a2', q2b.id);
  const root2 = add('user', 'q1 edited', null); // editing the first message: a sibling root

  assert.deepEqual(c.messages.branch(r2.id).map((m) => m.text), ['q1', 'a1 regenerated', 'q2 edited', 'a2']);
  assert.deepEqual(c.messages.branch(sys.id).map((m) => m.id), [sys.id]);
  assert.deepEqual(c.messages.siblings(r1.id).map((m) => m.id), [r1.id, r1b.id]);
  assert.deepEqual(c.messages.siblings(q2.id).map((m) => m.id), [q2.id, q2b.id]);
  assert.deepEqual(c.messages.siblings(sys.id).map((m) => m.id), [sys.id, root2.id]); // roots are siblings too
  assert.deepEqual(c.messages.children(r1b.id).map((m) => m.id), [q2.id, q2b.id]);
  assert.deepEqual(c.messages.children(r2.id), []);
  assert.equal(c.messages.latestLeaf(conv.id)!.id, root2.id);
  assert.equal(c.messages.list(conv.id).length, 7);
  assert.deepEqual(c.messages.branch(999_999), []);

  // a parent must be in the same conversation
  const other = c.conversations.create({ modelId: 'qwen3-tiny' });
  assert.throws(() => c.messages.add({ conversationId: other.id, role: 'user', text: 'x', parentId: r2.id }), fkError);

  // deleting a message deletes the branch below it
  assert.equal(c.messages.remove(r1b.id), true);
  assert.deepEqual(c.messages.list(conv.id).map((m) => m.text), ['q1', 'a1', 'q1 edited']);
  c.close();
});

test('grades: one per grader, set again replaces; judges need a model; scores stay 1-5', () => {
  const c = freshCatalog();
  library(c);
  const { r } = chat(c);
  const h = c.grades.set({ messageId: r.id, method: 'human', score: 4, note: 'close', reference: 'volcanoes' });
  assert.equal(h.score, 4);
  const h2 = c.grades.set({ messageId: r.id, method: 'human', score: 5, note: 'on reflection, exact' });
  assert.equal(h2.id, h.id);
  assert.equal(h2.score, 5);
  assert.equal(h2.reference, null);
  c.grades.set({ messageId: r.id, method: 'judge', score: 5, judgeModel: 'gpt-4.1', rawAnswer: '5', note: 'same topic' });
  c.grades.set({ messageId: r.id, method: 'judge', score: 4, judgeModel: 'qwen3-8b', rawAnswer: 'Score: 4' });
  c.grades.set({ messageId: r.id, method: 'lexical', score: 2 });
  c.grades.set({ messageId: r.id, method: 'judge', score: 3, judgeModel: 'gpt-4.1', rawAnswer: '3' });
  const grades = c.grades.forMessage(r.id);
  assert.deepEqual(grades.map((g) => [g.method, g.judgeModel, g.score]), [
    ['human', null, 5],
    ['judge', 'gpt-4.1', 3],
    ['judge', 'qwen3-8b', 4],
    ['lexical', null, 2],
  ]);
  assert.equal(c.grades.forConversation(r.conversationId).length, 4);
  assert.throws(() => c.grades.set({ messageId: r.id, method: 'human', score: 6 }), /grade message \d+ \(human\): CHECK constraint failed/);
  assert.throws(() => c.grades.set({ messageId: r.id, method: 'human', score: 0 }), /CHECK constraint failed/);
  assert.throws(() => c.grades.set({ messageId: r.id, method: 'judge', score: 3 }), /CHECK constraint failed/);
  assert.throws(() => c.grades.set({ messageId: 999_999, method: 'human', score: 3 }), fkError);
  assert.equal(c.grades.remove(grades[3].id), true);
  assert.equal(c.grades.forMessage(r.id).length, 3);
  c.close();
});

test('deleting a conversation deletes its messages and their grades; the library refuses to lose history', () => {
  const c = freshCatalog();
  library(c);
  const { conv, r } = chat(c);
  c.grades.set({ messageId: r.id, method: 'human', score: 3 });
  const keep = chat(c);
  assert.throws(() => c.models.remove('qwen3-tiny'), (e: unknown) => fkError(e) && /^remove model 'qwen3-tiny': FOREIGN KEY/.test((e as Error).message));
  assert.equal(c.conversations.remove(conv.id), true);
  assert.equal(c.messages.get(r.id), undefined);
  assert.deepEqual(c.grades.forMessage(r.id), []);
  assert.equal(c.messages.list(keep.conv.id).length, 2);
  assert.equal(c.conversations.remove(conv.id), false);
  c.close();
});

test('settings: JSON values by key', () => {
  const c = freshCatalog();
  c.settings.set('judge', { baseUrl: 'http://127.0.0.1:8080/v1', model: 'qwen3-8b' });
  c.settings.set('theme', 'dark');
  c.settings.set('maxTokens', 20);
  c.settings.set('theme', 'light');
  assert.deepEqual(c.settings.get('judge'), { baseUrl: 'http://127.0.0.1:8080/v1', model: 'qwen3-8b' });
  assert.equal(c.settings.get<string>('theme'), 'light');
  assert.equal(c.settings.get('missing'), undefined);
  assert.deepEqual(Object.keys(c.settings.all()), ['judge', 'maxTokens', 'theme']);
  assert.equal(c.settings.remove('theme'), true);
  assert.throws(() => c.settings.set('x', undefined), /undefined is not a value/);
  c.close();
});

test('evals: a run of items is worked through once, resumes, and summarises by method and split', () => {
  const c = freshCatalog();
  library(c);
  c.adapters.insertMany(Array.from({ length: 9 }, (_, i) => paperDiff(i + 1)));
  const diffs = c.adapters.list({ kind: 'diff' }); // 10: #0 (test), #1..#9 (train)
  const items = diffs.flatMap((d) => ['dit', 'base-question'].map((method) => ({ adapterId: d.id, method })));
  const run = c.evals.createRun({ modelId: 'qwen3-tiny', ditAdapterId: 'dit', methods: ['dit', 'base-question'], selection: { experiment: 'hidden-topic/qwen3-4b' } }, items);
  assert.equal(run.status, 'running');
  assert.deepEqual(run.settings, {});
  assert.deepEqual(c.evals.progress(run.id), { total: 20, pending: 20, done: 0, failed: 0 });
  assert.equal(c.evals.addItems(run.id, items.slice(0, 5)), 0); // nothing is added twice

  const batch = c.evals.pending(run.id, 4);
  assert.equal(batch.length, 4);
  for (const it of batch) c.evals.startItem(it.id);
  assert.equal(c.evals.finishItem(batch[0].id, { answer: 'volcanoes', score: 5, gradeMethod: 'judge' }), true);
  assert.equal(c.evals.finishItem(batch[0].id, { answer: 'twice' }), false); // already done
  assert.equal(c.evals.finishItem(batch[1].id, { answer: 'no idea' }), true);
  c.evals.gradeItem(batch[1].id, 1, 'lexical');
  assert.equal(c.evals.failItem(batch[2].id, 'out of memory'), true);
  assert.deepEqual(c.evals.progress(run.id), { total: 20, pending: 17, done: 2, failed: 1 });
  assert.throws(() => c.evals.gradeItem(batch[3].id, 3, 'judge'), /no such answered item/);

  c.evals.setStatus(run.id, 'paused');
  assert.equal(c.evals.getRun(run.id)!.finishedAt, null);
  assert.equal(c.evals.retryFailed(run.id), 1);
  assert.equal(c.evals.pending(run.id).length, 18);
  assert.equal(c.evals.items(run.id, { status: 'done' }).length, 2);
  assert.equal(c.evals.items(run.id).length, 20);
  const done = c.evals.items(run.id, { status: 'done' })[0];
  assert.equal(done.answer, 'volcanoes');
  assert.ok(done.startedAt && done.finishedAt);

  assert.deepEqual(c.evals.summary(run.id), [
    { method: 'base-question', split: 'test', items: 1, graded: 1, meanScore: 1 },
    { method: 'base-question', split: 'train', items: 9, graded: 0, meanScore: null },
    { method: 'dit', split: 'test', items: 1, graded: 1, meanScore: 5 },
    { method: 'dit', split: 'train', items: 9, graded: 0, meanScore: null },
  ]);
  c.evals.setStatus(run.id, 'done');
  assert.ok(c.evals.getRun(run.id)!.finishedAt);
  assert.deepEqual(c.evals.listRuns({ modelId: 'qwen3-tiny' }).map((r) => r.id), [run.id]);
  assert.deepEqual(c.evals.listRuns({ modelId: 'other' }), []);

  assert.throws(() => c.adapters.remove(diffs[0].id), fkError); // results keep their diffs
  assert.throws(() => c.evals.createRun({ modelId: 'qwen3-tiny', methods: ['dit'], selection: {} }, [{ adapterId: 'missing', method: 'dit' }]), fkError);
  assert.equal(c.evals.listRuns().length, 1); // the failed run was rolled back with its items
  assert.equal(c.evals.removeRun(run.id), true);
  assert.equal(c.evals.items(run.id).length, 0);
  c.close();
});

test('a reply left streaming by a crash is marked incomplete on the next open, text kept', () => {
  const dir = tmpDir('catalog-crash');
  const path = join(dir, 'catalog.sqlite');
  const c = openCatalog(path);
  library(c);
  const { conv, q } = chat(c);
  const s = c.messages.startReply({ conversationId: conv.id, parentId: q.id, modelId: 'qwen3-tiny', stack: STACK });
  c.messages.saveProgress(s.id, 'Volcanoes of');
  // no finish, no close: the process "dies" here; the next open must not need this connection

  const second = openCatalog(path, { recover: false }); // e.g. a CLI command beside the app
  assert.equal(second.messages.get(s.id)!.status, 'streaming');
  second.close();

  const after = openCatalog(path);
  assert.equal(after.interrupted, 1);
  const m = after.messages.get(s.id)!;
  assert.equal(m.status, 'incomplete');
  assert.equal(m.text, 'Volcanoes of');
  assert.equal(after.messages.list(conv.id).length, 3);
  assert.deepEqual(after.integrityCheck(), ['ok']);
  after.close();
  c.close();
  assert.equal(openCatalog(path).interrupted, 0);
});

test('SIGKILL in the middle of a streamed reply leaves a sound file and a marked, readable reply', async () => {
  const dir = tmpDir('catalog-kill');
  const path = join(dir, 'catalog.sqlite');
  const c = openCatalog(path);
  library(c);
  const { conv, q } = chat(c);
  c.close();
  // the writer: flushes a growing reply as fast as it can, until killed
  const script = join(dir, 'writer.ts');
  writeFileSync(
    script,
    `import { openCatalog } from ${JSON.stringify(join(import.meta.dirname, '../../src/main/catalog/index.ts'))};
     const c = openCatalog(${JSON.stringify(path)});
     const r = c.messages.startReply({ conversationId: ${conv.id}, parentId: ${q.id}, modelId: 'qwen3-tiny' });
     let text = '';
     for (let i = 0; ; i++) {
       text += 'lava ';
       c.messages.saveProgress(r.id, text);
       if (i === 200) process.stdout.write('ready\\n');
     }`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`writer exited with ${code} before it was killed`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));

  const after = openCatalog(path);
  assert.deepEqual(after.integrityCheck(), ['ok']);
  assert.equal(after.interrupted, 1);
  const [question, first, killed] = after.messages.list(conv.id);
  assert.equal(question.text, 'What topic have you been trained on?');
  assert.equal(first.text, 'Volcanoes of Iceland');
  assert.equal(killed.status, 'incomplete');
  assert.match(killed.text, /^(lava ){201,}$/);
  assert.equal(after.search('lava')[0].messageId, killed.id);
  after.close();
});

test('transactions group store calls: a throw rolls every one back', () => {
  const c = freshCatalog();
  library(c);
  assert.throws(
    () =>
      c.transaction('import experiment', () => {
        c.adapters.insert(paperDiff(1));
        c.settings.set('lastImport', 'hidden-topic');
        throw new Error('index.csv row 2: bad split');
      }),
    /^CatalogError: import experiment: index.csv row 2: bad split$|import experiment: index.csv row 2/,
  );
  assert.equal(c.adapters.get(paperDiff(1).id), undefined);
  assert.equal(c.settings.get('lastImport'), undefined);
  c.close();
});

test('integrity_check is ok after all of the above kinds of work', () => {
  const c = freshCatalog();
  library(c);
  c.adapters.insertMany(Array.from({ length: 500 }, (_, i) => paperDiff(i + 1)));
  for (let i = 0; i < 20; i++) chat(c);
  c.conversations.remove(c.conversations.list()[3].id);
  c.messages.remove(c.messages.latestLeaf(c.conversations.list()[0].id)!.id);
  assert.deepEqual(c.integrityCheck(), ['ok']);
  c.close();
});

test('a transaction takes the write lock at BEGIN: a writer in between waits or fails, never the transaction', async () => {
  const { default: Database } = await import('better-sqlite3');
  const path = join(tmpDir('two-writers'), 'catalog.sqlite');
  const app = openCatalog(path);
  library(app);
  // the CLI beside the app, as a raw connection that does not wait for locks
  const cli = new Database(path, { timeout: 0 });
  let cliWrote = true;
  app.transaction('read then write', () => {
    app.settings.get('lastImport'); // a read first: a deferred transaction now holds a snapshot
    try {
      cli.prepare("INSERT INTO settings (key, value) VALUES ('cli', '1')").run();
    } catch (e) {
      assert.match((e as Error).message, /locked|busy/i);
      cliWrote = false;
    }
    app.settings.set('lastImport', 'hidden-topic'); // deferred: SQLITE_BUSY_SNAPSHOT here
  });
  assert.equal(cliWrote, false, 'the second writer had to wait for the transaction');
  assert.equal(app.settings.get('lastImport'), 'hidden-topic');
  cli.close();
  app.close();
});
