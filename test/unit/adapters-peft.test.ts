// PEFT folders: the committed fixture in PEFT's own layout, what is refused and why, and the
// writer's adapter_config.json and atomic folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPeft, writePeft } from '../../src/main/engine/adapters/peft.ts';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import { SafetensorsFile } from '../../src/main/engine/hf/safetensors.ts';
import { peftAdapterConfig, writePeftFixture } from '../helpers/peft-fixture.ts';
import { tinyConfig } from '../reference/random-weights.ts';
import { tmpDir } from '../helpers/tmp.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'peft', 'qwen3-tiny-r2');
const config = tinyConfig('qwen3'); // hidden 32, 2 layers

describe('reading PEFT adapters', () => {
  it('reads the committed fixture: a = lora_Aᵀ, b = lora_Bᵀ, scale alpha / r', () => {
    const lr = loadLowRank(FIXTURE);
    assert.equal(lr.meta.format, 'peft');
    assert.equal(lr.rank, 2);
    assert.equal(lr.scale, 4 / 2);
    assert.equal(lr.modules.size, 21);
    assert.equal(lr.meta.warning, undefined);
    const file = SafetensorsFile.open(join(FIXTURE, 'adapter_model.safetensors'));
    const A = file.readF32('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight'); // [2, 128]
    const B = file.readF32('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'); // [64, 2]
    file.close();
    const m = lr.modules.get('1.down')!;
    assert.deepEqual([m.inDim, m.outDim, m.rank], [128, 64, 2]);
    for (let i = 0; i < 128; i++) for (let j = 0; j < 2; j++) assert.equal(m.a[i * 2 + j], A[j * 128 + i]);
    for (let j = 0; j < 2; j++) for (let o = 0; o < 64; o++) assert.equal(m.b[j * 64 + o], B[o * 2 + j]);
  });

  it('uses alpha / sqrt(r) with use_rslora, and folds differing per-module scales into b', () => {
    const root = tmpDir('peft-read');
    const plain = readPeft(writePeftFixture(join(root, 'a'), { config, rank: 4, alpha: 8, seed: 1, rsLora: true }).dir);
    assert.equal(plain.scale, 8 / 2);
    const mixed = readPeft(writePeftFixture(join(root, 'b'), { config, rank: 4, alpha: 8, seed: 1, alphaPattern: { v_proj: 2 } }).dir);
    assert.equal(mixed.scale, 1);
    // same seed, same tensors: b of v carries 2/4, b of q carries 8/4
    const base = readPeft(writePeftFixture(join(root, 'c'), { config, rank: 4, alpha: 4, seed: 1 }).dir);
    assert.equal(mixed.modules.get('0.v')!.b[3], base.modules.get('0.v')!.b[3] * 0.5);
    assert.equal(mixed.modules.get('0.q')!.b[3], base.modules.get('0.q')!.b[3] * 2);
  });

  it('refuses adapter_model.bin with a way to convert it', () => {
    const dir = writePeftFixture(join(tmpDir('peft-bin'), 'x'), { config, rank: 1, alpha: 1, seed: 1 }).dir;
    renameSync(join(dir, 'adapter_model.safetensors'), join(dir, 'adapter_model.bin'));
    assert.throws(() => readPeft(dir), /adapter_model\.bin is a pickled PyTorch file.*safetensors/);
  });

  it('refuses DoRA, modules_to_save, other PEFT types and a rank that contradicts r', () => {
    const root = tmpDir('peft-refuse');
    const make = (name: string, fields: Record<string, unknown>) => writePeftFixture(join(root, name), { config, rank: 2, alpha: 2, seed: 1, configFields: fields }).dir;
    assert.throws(() => readPeft(make('dora', { use_dora: true })), /use_dora is true/);
    assert.throws(() => readPeft(make('mts', { modules_to_save: ['lm_head'] })), /modules_to_save \["lm_head"\] replaces whole modules/);
    assert.throws(() => readPeft(make('loha', { peft_type: 'LOHA' })), /peft_type is "LOHA"/);
    assert.throws(() => readPeft(make('r', { r: 4 })), /has rank 2, but adapter_config\.json gives r = 4 for model\.layers\.0\.self_attn\.q_proj/);
    const fanIn = readPeft(make('fan', { fan_in_fan_out: true }));
    assert.match(fanIn.meta.warning, /fan_in_fan_out/);
  });

  it('refuses LoRA on lm_head unless it changes nothing', () => {
    const root = tmpDir('peft-lm-head');
    const head = (b: number) => [
      { name: 'base_model.model.lm_head.lora_A.weight', dtype: 'F32' as const, shape: [2, 32], data: new Float32Array(64).fill(0.1) },
      { name: 'base_model.model.lm_head.lora_B.weight', dtype: 'F32' as const, shape: [64, 2], data: new Float32Array(128).fill(b) },
    ];
    const live = writePeftFixture(join(root, 'live'), { config, rank: 2, alpha: 2, seed: 1, extraTensors: head(0.5) }).dir;
    assert.throws(() => readPeft(live), /"base_model\.model\.lm_head\.lora_A\.weight" is LoRA on a module outside q, k, v, o, gate, up, down/);
    const idle = readPeft(writePeftFixture(join(root, 'idle'), { config, rank: 2, alpha: 2, seed: 1, extraTensors: head(0) }).dir);
    assert.equal(idle.modules.size, 14);
    assert.match(idle.meta.warning, /ignored 2 tensor\(s\).*lm_head/);
  });

  it('writes PEFT\'s config the same way the fixture helper models it', () => {
    // the helper's field set is PEFT 0.18's; a writer config must be a subset with the same spelling
    const root = tmpDir('peft-write');
    const lr = readPeft(FIXTURE);
    const out = join(root, 'export');
    writePeft(out, [{ adapter: lr, scale: 1 }], { baseModel: 'Qwen/Qwen3-0.6B', dtype: 'BF16' });
    assert.deepEqual(readdirSync(root), ['export'], 'no temporary folder is left behind');
    const written = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    const known = peftAdapterConfig({});
    for (const key of Object.keys(written)) assert.ok(key in known, `field ${key} is not one PEFT writes`);
    assert.deepEqual(Object.keys(written), Object.keys(written).sort());
    assert.equal(written.r, 2);
    assert.equal(written.lora_alpha, 2);
    assert.equal(written.base_model_name_or_path, 'Qwen/Qwen3-0.6B');
    const back = readPeft(out);
    assert.equal(back.scale, 1);
    const file = SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
    assert.equal(file.metadata.format, 'pt');
    assert.equal(file.info('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight').dtype, 'BF16');
    file.close();
    assert.throws(() => writePeft(out, [{ adapter: lr, scale: 1 }], { baseModel: 'x' }), /already exists/);
    writePeft(out, [{ adapter: lr, scale: 2 }], { baseModel: 'x', overwrite: true });
    assert.equal(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).base_model_name_or_path, 'x');
  });

  it('loads a folder by what it holds', () => {
    const dir = join(tmpDir('peft-load'), 'empty');
    mkdirSync(dir);
    assert.throws(() => loadLowRank(dir), /unrecognised adapter format/);
    writeFileSync(join(dir, 'config.json'), '{}');
    assert.throws(() => loadLowRank(dir), /full finetune .*needs the base model/);
  });
});
