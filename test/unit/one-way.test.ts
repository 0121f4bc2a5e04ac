// One way to do a thing (STYLE.md): a helper exists once, and a thing has one name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

test('architectures: each family is one file in engine/families plus its line in the registry', () => {
  const familyDir = join('src', 'main', 'engine', 'families');
  // config.json's architecture names appear in their family's file and nowhere else
  for (const name of SUPPORTED_ARCHITECTURES) {
    const named = sources.filter((s) => new RegExp(`\\b${name}\\b`).test(s.text)).map((s) => s.file);
    assert.equal(named.length, 1, `${name} is named in ${named.join(', ')}`);
    assert.equal(dirname(named[0]), familyDir, `${name} is named outside engine/families: ${named[0]}`);
  }
  assert.deepEqual(ARCHITECTURES.map((a) => a.key), [...ARCH_KEYS]);
  for (const key of ARCH_KEYS) assert.ok(sources.some((s) => s.file === join(familyDir, `${key}.ts`)), `engine/families/${key}.ts`);
  const literalUnions = sources.filter((s) => /'qwen3' \| 'llama' \| 'gemma3'|\['qwen3', 'llama', 'gemma3'\]/.test(s.text)).map((s) => s.file);
  assert.deepEqual(literalUnions, [join(familyDir, 'index.ts')], 'the families are written out once, as ARCH_KEYS');
});
