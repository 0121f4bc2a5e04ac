// The renderer's logic for grading and batch evaluation, outside components: the Evaluate form's
// request, what each method needs, how progress and results read, the charts' geometry, grader
// labels, the Judge settings' fields, and the export shortcut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvalMethodResult, EvalProgressView, EvalRunView, JudgeConfig } from '../../src/shared/api.ts';
import { emptyEvalDraft, requestOf, runnableMethods, selectionOf } from '../../src/renderer/src/features/evaluate/eval-request.ts';
import { methodTitle, methodUnavailable, METHODS } from '../../src/renderer/src/features/evaluate/methods.ts';
import { canResume, ciText, duration, isActive, itemDiffName, progressLine, selectionText, statusText } from '../../src/renderer/src/features/evaluate/eval-format.ts';
import { histogramBars, maxCount, meanBars, yOf, type Box } from '../../src/renderer/src/features/evaluate/charts.ts';
import { agreementSummary, graderName, judgeName, withGrade } from '../../src/renderer/src/features/grading/grading.ts';
import { blindCode } from '../../src/renderer/src/lib/format.ts';
import { fromJudgeFields, keyStatus, toJudgeFields } from '../../src/renderer/src/features/settings/judge.ts';
import { shortcutOf, SHORTCUTS } from '../../src/renderer/src/lib/shortcuts.ts';

const judge: JudgeConfig = { kind: 'openai', baseUrl: 'https://judge.example/v1', model: 'gpt-x' };

test('the Evaluate form makes the API request, dropping methods that cannot run', () => {
  const draft = { ...emptyEvalDraft('m', 'dit1'), methods: ['dit', 'base', '20q'] as const, batch: '4' };
  const lexical = requestOf({ ...draft, methods: [...draft.methods] }, null);
  assert.deepEqual(lexical, {
    ok: true,
    request: { modelId: 'm', ditAdapterId: 'dit1', selection: { split: 'test' }, methods: ['dit', 'base'], judge: null, batch: 4, engine: { kind: 'local' } },
  });
  const judged = requestOf({ ...draft, methods: [...draft.methods], judge: 'llm' }, judge);
  assert.equal(judged.ok && judged.request.judge, judge);
  assert.deepEqual(judged.ok && judged.request.methods, ['dit', 'base', '20q']);
  // Without a DIT adapter, DIT cannot run; the baselines still do.
  assert.deepEqual(runnableMethods({ ...draft, methods: [...draft.methods], ditAdapterId: '' }, null), ['base']);
});

test('the Evaluate form names the first wrong field', () => {
  const d = emptyEvalDraft('m', 'dit1');
  const field = (patch: Partial<typeof d>, j: JudgeConfig | null = null) => {
    const r = requestOf({ ...d, ...patch }, j);
    return r.ok ? null : r.field;
  };
  assert.equal(field({ modelId: '' }), 'modelId');
  assert.equal(field({ judge: 'llm' }), 'judge', 'the LLM judge chosen, none configured');
  assert.equal(field({ methods: ['20q'] }), 'methods', '20 questions alone with the lexical score');
  assert.equal(field({ methods: ['custom'] }), 'customQuestion');
  assert.equal(field({ batch: '0' }), 'batch');
  assert.equal(field({ batch: '257' }), 'batch');
  assert.equal(field({ batch: '2.5' }), 'batch');
  assert.equal(field({ limit: 'ten' }), 'limit');
  assert.equal(field({ maxTokens: '-1' }), 'maxTokens');
  assert.equal(field({ engine: 'openai', engineUrl: 'gpu-box:8000' }), 'engineUrl');
  const full = requestOf(
    { ...d, methods: ['custom'], customQuestion: ' What changed? ', limit: '10', tag: 'a', split: '', question: 'Q?', maxTokens: '50', seed: '3', engine: 'openai', engineUrl: 'http://gpu:8000/v1', loraDir: '/shared' },
    null,
  );
  assert.ok(full.ok);
  assert.deepEqual(full.request, {
    modelId: 'm',
    ditAdapterId: 'dit1',
    selection: { tag: 'a', limit: 10 },
    methods: ['custom'],
    judge: null,
    batch: 8,
    engine: { kind: 'openai', baseUrl: 'http://gpu:8000/v1', loraDir: '/shared' },
    customQuestion: 'What changed?',
    question: 'Q?',
    maxTokens: 50,
    seed: 3,
  });
  assert.deepEqual(selectionOf({ split: 'train', tag: '', experiment: 'x', limit: '' }), { split: 'train', experiment: 'x' });
});

test('what each method needs, and its column title', () => {
  assert.deepEqual(METHODS.map((m) => m.method), ['dit', 'base', 'trigger', '20q', '20q-trigger', 'story', 'custom', 'agent', 'agent-dit']);
  assert.match(methodUnavailable('story', { judge: false, dit: true })!, /LLM judge to name the story’s headline/);
  assert.equal(methodUnavailable('story', { judge: true, dit: false }), null, 'the generated story needs no DIT adapter');
  assert.match(methodUnavailable('20q', { judge: false, dit: true })!, /LLM judge/);
  assert.match(methodUnavailable('20q-trigger', { judge: false, dit: true })!, /LLM judge/);
  assert.equal(methodUnavailable('20q', { judge: true, dit: false }), null);
  assert.match(methodUnavailable('dit', { judge: true, dit: false })!, /DIT adapter/);
  assert.equal(methodUnavailable('base', { judge: false, dit: false }), null);
  assert.equal(methodTitle('trigger'), 'base Q + trigger');
});

test('progress reads as done / total, speed and time left', () => {
  const p: EvalProgressView = { runId: 1, status: 'running', active: true, total: 200, done: 50, failed: 2, pending: 148, method: 'dit', itemsPerSecond: 2.5, etaSeconds: 59.2 };
  assert.equal(progressLine(p), '50 / 200 items · 2 failed · DIT · 2.5 items/s · about 59 s left');
  assert.equal(progressLine({ ...p, failed: 0, active: false, itemsPerSecond: null, etaSeconds: null }), '50 / 200 items');
  assert.equal(duration(59.4), '59 s');
  assert.equal(duration(200), '3 min 20 s');
  assert.equal(duration(120), '2 min');
  assert.equal(duration(7500), '2 h 5 min');
  const run = { status: 'running', progress: { ...p }, error: null } as unknown as EvalRunView;
  assert.equal(statusText(run), 'running');
  assert.equal(isActive(run), true);
  assert.equal(canResume(run), false);
  const left = { ...run, progress: { ...p, active: false } };
  assert.equal(statusText(left), 'interrupted', 'running in the catalog, no work under way');
  assert.equal(canResume(left), true);
  assert.equal(statusText({ ...run, status: 'paused', error: 'interrupted: Diffscope stopped' } as EvalRunView), 'interrupted');
  assert.equal(canResume({ ...run, status: 'done', progress: { ...p, active: false } } as EvalRunView), false);
  assert.equal(selectionText({ split: 'test', tag: 'x', limit: 5 }), 'test split · tag x · at most 5');
  assert.equal(selectionText({}), 'every diff');
});

test('blind mode names an item by its diff’s blind code (as the sidebar does), never by its label', () => {
  assert.equal(itemDiffName({ adapterId: 'diff-abc123456789', label: 'Volcanoes' }, false), 'Volcanoes');
  assert.equal(itemDiffName({ adapterId: 'diff-abc123456789', label: 'Volcanoes' }, true), `Diff ${blindCode('diff-abc123456789')}`);
  assert.notEqual(itemDiffName({ adapterId: 'topic/0012', label: 'Volcanoes' }, true), itemDiffName({ adapterId: 'topic/0013', label: 'Castles' }, true));
  assert.equal(itemDiffName({ adapterId: 'diff-abc1', label: null }, false), 'Diff diff-abc1');
});

const result = (method: EvalMethodResult['method'], mean: number | null, ci: [number, number] | null, histogram: EvalMethodResult['histogram']): EvalMethodResult => ({
  method,
  title: methodTitle(method),
  items: 10,
  graded: 10,
  grader: 'lexical',
  mean,
  ci95: ci,
  accuracy: 0.5,
  histogram,
  unavailable: null,
});

test('the charts: bars grow from 1 on a 1-5 axis with their interval; histograms share one scale', () => {
  const box: Box = { width: 200, height: 100, top: 10, right: 0, bottom: 10, left: 0 };
  assert.equal(yOf(5, box), 10);
  assert.equal(yOf(1, box), 90);
  assert.equal(yOf(3, box), 50);
  assert.equal(yOf(9, box), 10, 'clamped');
  const [a, b] = meanBars([result('base', 1, [1, 1], [10, 0, 0, 0, 0]), result('dit', 4, [3, 5], [0, 0, 2, 4, 4])], box);
  assert.deepEqual([a!.center, a!.height, a!.y], [50, 0, 90]);
  assert.deepEqual([b!.center, b!.y, b!.height], [150, 30, 60]);
  assert.deepEqual(b!.whisker, { y1: 10, y2: 50 });
  assert.equal(meanBars([result('base', null, null, [0, 0, 0, 0, 0])], box)[0]!.height, 0);
  assert.equal(maxCount([result('base', 1, null, [10, 0, 0, 0, 0]), result('dit', 4, null, [0, 0, 2, 4, 4])]), 10);
  const bars = histogramBars([0, 0, 2, 4, 4], 10, box);
  assert.deepEqual(bars.map((x) => x.height), [0, 0, 16, 32, 32]);
  assert.deepEqual(bars.map((x) => x.y + x.height), [90, 90, 90, 90, 90], 'every bar stands on the axis');
  assert.ok(bars.every((x, i) => i === 0 || x.x > bars[i - 1]!.x + bars[i - 1]!.width), 'side by side, apart');
  assert.equal(ciText(result('dit', 4, [3.5, 4.25], [0, 0, 0, 0, 0])), '3.50 – 4.25');
  assert.equal(ciText(result('dit', 4, null, [0, 0, 0, 0, 0])), '–');
});

test('grades say who gave them; a grader grading again replaces its grade', () => {
  assert.equal(graderName({ method: 'lexical', judgeModel: null }), 'Lexical (offline)');
  assert.equal(graderName({ method: 'judge', judgeModel: 'gpt-x' }), 'Judge (gpt-x)');
  assert.equal(graderName({ method: 'judge', judgeModel: 'gpt-x' }, true), 'Judge');
  assert.equal(graderName({ method: 'human', judgeModel: null }), 'Your grade');
  const g = (id: number, method: 'human' | 'judge' | 'lexical', judgeModel: string | null = null) => ({ id, method, judgeModel });
  assert.deepEqual(withGrade([g(1, 'lexical'), g(2, 'judge', 'a'), g(3, 'judge', 'b')], g(4, 'judge', 'a')).map((x) => x.id), [1, 3, 4]);
  assert.equal(judgeName(judge), 'gpt-x at judge.example');
  assert.equal(judgeName({ kind: 'local', modelId: 'qwen-1' }, (id) => (id === 'qwen-1' ? { name: 'Qwen3 1.7B' } : undefined)), 'Qwen3 1.7B (on this machine)');
  assert.equal(judgeName(null), 'none');
  const none = { pairs: 0, exact: null, withinOne: null, meanAbsDiff: null, weightedKappa: null, confusion: [], judgeModels: [] };
  assert.match(agreementSummary(none), /^Nothing has both/);
  assert.equal(
    agreementSummary({ ...none, pairs: 4, exact: 0.5, withinOne: 0.75, meanAbsDiff: 0.75, weightedKappa: 0.6123 }),
    '4 pairs: 50% the same score, 75% within one point, mean difference 0.75, weighted kappa 0.61',
  );
});

test('the Judge settings round-trip and never show the key', () => {
  assert.deepEqual(fromJudgeFields(toJudgeFields(judge)), { ok: true, judge });
  assert.deepEqual(fromJudgeFields(toJudgeFields({ kind: 'local', modelId: 'm' })), { ok: true, judge: { kind: 'local', modelId: 'm' } });
  assert.deepEqual(fromJudgeFields(toJudgeFields(null, 'm')), { ok: true, judge: null });
  assert.equal((fromJudgeFields({ kind: 'openai', baseUrl: 'judge.example', model: 'x', modelId: '' }) as { field: string }).field, 'baseUrl');
  assert.equal((fromJudgeFields({ kind: 'openai', baseUrl: 'http://127.0.0.1:8080/v1', model: ' ', modelId: '' }) as { field: string }).field, 'model');
  assert.equal((fromJudgeFields({ kind: 'local', baseUrl: '', model: '', modelId: '' }) as { field: string }).field, 'modelId');
  assert.match(keyStatus({ judge, hasKey: true, keyStorage: 'keychain' }), /keychain/);
  assert.match(keyStatus({ judge, hasKey: false, keyStorage: 'memory' }), /^No API key/);
});

test('Ctrl+E exports the conversation as Markdown, and the shortcut help says so', () => {
  const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  assert.equal(shortcutOf(key('e', { ctrlKey: true })), 'export-markdown');
  assert.equal(shortcutOf(key('E', { metaKey: true })), 'export-markdown');
  assert.equal(shortcutOf(key('e', { ctrlKey: true, shiftKey: true })), null);
  assert.equal(shortcutOf(key('e')), null);
  assert.ok(SHORTCUTS.some((s) => s.keys === 'Ctrl+E' && /Markdown/.test(s.what)));
});
