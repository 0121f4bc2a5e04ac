// An evaluation on a remote engine (`--engine openai:URL`): a second Diffscope, `serve` in its own
// process, stands in for vLLM's runtime LoRA loading. Each stack is written once as a PEFT folder,
// loaded by name, asked, unloaded; the answers equal the local engine's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalItemView, EvalRequest, JobView } from '../../src/shared/api.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';
import { startServe, type Served } from '../helpers/serve.ts';
import { tmpDir } from '../helpers/tmp.ts';

describe('evaluation through --engine openai:URL', () => {
  let s: EvalSetup;
  let served: Served;
  let remoteModel: string;
  const post = (path: string, body: unknown) =>
    fetch(`${served.origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    const remoteHome = tmpDir('remote-serve');
    [s, served] = await Promise.all([evalSetup({ diffs: 4 }), startServe(remoteHome, { DIFFSCOPE_DEMO_DIR: join(remoteHome, 'no-demo') })]);
    const job = await served.call<JobView>('models:import', s.hfDir, 'fp32');
    for (;;) {
      const j = (await served.call<JobView[]>('jobs:list')).find((x) => x.id === job.id)!;
      if (j.status !== 'running') {
        assert.equal(j.status, 'done', j.error ?? '');
        remoteModel = j.result!.modelId!;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await s?.backend.close();
    await served?.stop();
  });

  it('answers exactly as the local engine, each stack written once and unloaded after use', async () => {
    const loraDir = join(s.home, 'shared-peft');
    const request = (engine: EvalRequest['engine']): EvalRequest => ({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: { experiment: s.experiment }, methods: ['dit', 'trigger'], judge: null, batch: 4, engine });
    const local = await s.backend.evals.wait(s.backend.evals.start(request({ kind: 'local' })).id);
    s.backend.evals.setEngineKey(served.token);
    const remote = await s.backend.evals.wait(s.backend.evals.start(request({ kind: 'openai', baseUrl: `${served.origin}/v1`, model: remoteModel, loraDir })).id);
    assert.equal(local.status, 'done', local.error ?? '');
    assert.equal(remote.status, 'done', remote.error ?? '');
    assert.equal(remote.settings.engine.kind, 'openai');
    const answers = (id: number) => new Map(s.backend.evals.items(id, {}).map((i: EvalItemView) => [`${i.method} ${i.adapterId}`, i.answer]));
    assert.equal(answers(local.id).size, 8);
    assert.deepEqual(answers(remote.id), answers(local.id));
    assert.equal(readdirSync(loraDir).filter((n) => n.startsWith('diffscope-')).length, 8, 'one PEFT folder per stack (4 diffs x [diff] and [diff + DIT])');
    const models = (await (await fetch(`${served.origin}/v1/models`, { headers: { authorization: `Bearer ${served.token}` } })).json()) as { data: { id: string }[] };
    assert.ok(!models.data.some((m) => m.id.startsWith('diffscope-')), 'every adapter unloaded');
  });

  it("serve's load/unload calls answer as vLLM's do, and refuse what they cannot serve", async () => {
    const peft = join(s.home, 'shared-peft', readdirSync(join(s.home, 'shared-peft'))[0]);
    const notPeft = join(s.home, 'empty-folder');
    mkdirSync(notPeft, { recursive: true });
    const load = await post('/v1/load_lora_adapter', { lora_name: 'mine', lora_path: peft, base_model: remoteModel });
    assert.equal(load.status, 200);
    assert.match(await load.text(), /Success: LoRA adapter 'mine' added/);
    const ids = ((await (await fetch(`${served.origin}/v1/models`, { headers: { authorization: `Bearer ${served.token}` } })).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    assert.ok(ids.includes('mine'));
    const chat = await post('/v1/chat/completions', { model: 'mine', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0 });
    assert.equal(chat.status, 200);
    const expectations: [string, unknown, number, RegExp][] = [
      ['/v1/load_lora_adapter', { lora_name: 'mine', lora_path: peft, base_model: remoteModel }, 400, /already been loaded/],
      ['/v1/load_lora_adapter', { lora_name: 'x', lora_path: 'relative/path', base_model: remoteModel }, 400, /absolute path/],
      ['/v1/load_lora_adapter', { lora_name: 'x', lora_path: notPeft, base_model: remoteModel }, 400, /not a PEFT adapter folder/],
      ['/v1/load_lora_adapter', { lora_name: 'x', lora_path: peft }, 400, /name one as base_model/], // the stand-in demo model is there too
      ['/v1/load_lora_adapter', { lora_name: 'x', lora_path: peft, base_model: 'nope' }, 404, /not in the catalog/],
      ['/v1/load_lora_adapter', { lora_path: peft }, 400, /lora_name is required/],
      ['/v1/unload_lora_adapter', { lora_name: 'mine' }, 200, /removed successfully/],
      ['/v1/unload_lora_adapter', { lora_name: 'mine' }, 404, /cannot be found/],
    ];
    for (const [path, body, status, message] of expectations) {
      const res = await post(path, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(await res.text(), message);
    }
    const gone = await post('/v1/chat/completions', { model: 'mine', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    assert.equal(gone.status, 404);
    // the grading and eval API over browser mode's HTTP bridge
    assert.deepEqual(await served.call('evals:list'), []);
    assert.equal((await served.call<{ keyStorage: string }>('grades:getJudge')).keyStorage, 'environment');
    await assert.rejects(served.call('evals:start', { modelId: remoteModel, methods: ['dit'], selection: {} }), /400 no diffs of model \S+ match/);
  });
});
