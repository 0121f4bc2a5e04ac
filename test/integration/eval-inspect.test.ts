// An eval run exported as an Inspect AI log (`diffscope eval export RUN --format inspect`): the
// .eval zip is read back with an independent zip reader and every member checked against Inspect's
// log schema (test/fixtures/inspect/eval-log.schema.json, written from Inspect's pydantic models);
// its per-method means are the app's results table, each sample carries its input, the label as
// target, the messages, the output and its method's score.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { Ajv, type ValidateFunction } from 'ajv';
import type { EvalResults } from '../../src/shared/api.ts';
import { evalSetup } from '../helpers/eval-backend.ts';
import { runCli } from '../helpers/cli.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inspect', 'eval-log.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(schema);
const check = (definition: string, data: unknown, where: string) => {
  const validate = ajv.getSchema(`inspect-eval-log#/definitions/${definition}`) as ValidateFunction;
  assert.ok(validate(data), `${where} is not an Inspect ${definition}: ${ajv.errorsText(validate.errors)}`);
};

interface Sample {
  id: number;
  epoch: number;
  input: string;
  target: string;
  messages: { role: string; content: string }[];
  output: { completion: string };
  scores: Record<string, { value: number }> | null;
  metadata: { adapter_id: string; method: string };
}

it('exports an eval run as an Inspect AI log that follows its schema, with the app\'s per-method means', async () => {
  const s = await evalSetup({ diffs: 3 });
  await s.backend.close();
  const run = await runCli(['eval', '--model', s.modelId, '--dit', s.dit.id, '--experiment', s.experiment, '--methods', 'dit,base', '--judge', 'lexical', '--json'], s.home);
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout) as EvalResults & { runId: number };
  assert.equal(results.runId, results.run.id, '--json prints the run id as runId');

  const out = join(s.home, 'run.eval');
  const exported = await runCli(['eval', 'export', String(results.runId), '--format', 'inspect', '--out', out], s.home);
  assert.equal(exported.code, 0, exported.stderr);

  const zip = new AdmZip(out);
  const names = zip.getEntries().map((e) => e.entryName);
  const json = (name: string) => JSON.parse(zip.readAsText(name)) as unknown;
  assert.deepEqual(names.filter((n) => !n.startsWith('samples/')), ['_journal/start.json', '_journal/summaries/1.json', 'summaries.json', 'header.json']);
  assert.equal(names.filter((n) => /^samples\/\d+_epoch_1\.json$/.test(n)).length, 6, '3 diffs x 2 methods, one sample each');

  check('logStart', json('_journal/start.json'), '_journal/start.json');
  check('evalLogHeader', json('header.json'), 'header.json');
  check('summaries', json('summaries.json'), 'summaries.json');
  for (const n of names.filter((x) => x.startsWith('samples/'))) check('evalSample', json(n), n);

  const header = json('header.json') as { status: string; eval: { model: string; scorers: { name: string }[] }; results: { total_samples: number; scores: { name: string; metrics: Record<string, { value: number }> }[] } };
  assert.equal(header.status, 'success');
  assert.equal(header.eval.model, `diffscope/${s.modelId}`);
  assert.deepEqual(header.eval.scorers.map((x) => x.name), ['base', 'dit']);
  assert.equal(header.results.total_samples, 6);
  for (const m of results.methods) {
    const scored = header.results.scores.find((x) => x.name === m.method)!;
    assert.ok(scored, `a scorer for ${m.method}`);
    assert.equal(scored.metrics.mean.value, m.mean, `${m.method}: the file's mean is the app's`);
    assert.equal(scored.metrics.accuracy.value, m.accuracy, `${m.method}: exact-topic accuracy`);
  }

  const labels = new Map(s.diffs.map((d) => [d.id, d.label]));
  const samples = names.filter((n) => n.startsWith('samples/')).map((n) => json(n) as Sample);
  for (const x of samples) {
    assert.equal(x.target, labels.get(x.metadata.adapter_id), 'the target is the diff\'s label');
    assert.deepEqual(x.messages.map((m) => m.role), ['user', 'assistant']);
    assert.equal(x.messages[0].content, x.input);
    assert.equal(x.messages[1].content, x.output.completion);
    assert.deepEqual(Object.keys(x.scores ?? {}), [x.metadata.method], 'one scorer per method');
  }
  // the means recomputed from the samples themselves (a plain computation) equal the app's
  for (const m of results.methods) {
    const values = samples.filter((x) => x.metadata.method === m.method).map((x) => x.scores![m.method].value);
    assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) / values.length - m.mean!) < 1e-12);
  }
});
