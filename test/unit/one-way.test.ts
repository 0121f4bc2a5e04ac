// One way to do a thing (STYLE.md): a helper exists once, and a thing has one name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { transpose } from '../../src/main/engine/matrix.ts';
import { ARCHITECTURES } from '../../src/main/engine/build/registry.ts';
import { ARCH_KEYS, SUPPORTED_ARCHITECTURES } from '../../src/main/engine/hf/config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : /\.(ts|svelte)$/.test(n) ? [join(dir, n)] : []));
const sources = files(join(ROOT, 'src')).map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }));

test('transpose turns [rows, cols] into [cols, rows], across its tiles', () => {
  for (const [rows, cols] of [[1, 1], [2, 3], [65, 130], [130, 1]]) {
    const m = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const t = transpose(m, rows, cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(t[c * rows + r], m[r * cols + c]);
    assert.deepEqual(transpose(t, cols, rows), m);
  }
});

test('transpose is written once, in engine/matrix.ts', () => {
  const defined = sources.filter((s) => /function transpose\s*\(/.test(s.text)).map((s) => s.file);
  assert.deepEqual(defined, [join('src', 'main', 'engine', 'matrix.ts')]);
});

test('a stack element has one name: StackEntry (and its Recorded, File and Loaded forms)', () => {
  for (const old of ['StackPart', 'StackItem', 'StackRef']) {
    const users = sources.filter((s) => new RegExp(`\\b${old}\\b`).test(s.text)).map((s) => s.file);
    assert.deepEqual(users, [], `${old} is still used`);
  }
  const declared = sources.flatMap((s) => [...s.text.matchAll(/export (?:interface|type) (\w*Stack\w*)\b/g)].map((m) => m[1]));
  const elementNames = declared.filter((n) => /Stack(Entry|Part|Item|Ref|Element)$/.test(n));
  assert.deepEqual([...new Set(elementNames)].sort(), ['FileStackEntry', 'LoadedStackEntry', 'RecordedStackEntry', 'StackEntry']);
});

test('sampling settings have one name above the engine: SamplingSettings', () => {
  const aliases = sources.filter((s) => /export type Sampling\b/.test(s.text)).map((s) => s.file);
  assert.deepEqual(aliases, []);
});

test('architectures: hf/config.ts alone lists the Hugging Face names, the registry has one spec per family', () => {
  // dev/make-model.ts writes the names into the config.json of random test checkpoints
  const named = sources.filter((s) => SUPPORTED_ARCHITECTURES.some((n) => new RegExp(`\\b${n}\\b`).test(s.text))).map((s) => s.file);
  assert.deepEqual(named.sort(), [join('src', 'main', 'engine', 'dev', 'make-model.ts'), join('src', 'main', 'engine', 'hf', 'config.ts')]);
  assert.deepEqual(ARCHITECTURES.map((a) => a.key), [...ARCH_KEYS]);
  const literalUnions = sources.filter((s) => /'qwen3' \| 'llama' \| 'gemma3'|\['qwen3', 'llama', 'gemma3'\]/.test(s.text)).map((s) => s.file);
  assert.deepEqual(literalUnions, [join('src', 'main', 'engine', 'hf', 'config.ts')], 'the families are written out once, as ARCH_KEYS');
});
