// A model folder's tokenizer (tokenizer.json + tokenizer_config.json), its chat template,
// a streaming detokenizer, and the EOS ids from config.json / generation_config.json.
import { existsSync } from 'node:fs';
import { isPresent, MAX_BYTES, readBoundedText } from './bounded-read.ts';
import { checkTokenizerPatterns } from './regex-safety.ts';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { readJsonFile, type ModelConfig } from './config.ts';

export interface ChatMessage {
  role: string; // "system" | "user" | "assistant"
  content: string;
}

export interface RenderChatOptions {
  addGenerationPrompt?: boolean; // end with the assistant turn's opening (default true)
  enableThinking?: boolean; // Qwen3: false renders an empty <think></think> block (default false)
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Special tokens appear in tokenizer_config.json as a string, null, or an AddedToken object. */
function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return null;
}

export class LoadedTokenizer {
  readonly dir: string;
  /** Number of ids the tokenizer can produce (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  /** The Jinja chat template source, or null when the folder has none. */
  readonly chatTemplate: string | null;
  private readonly tokenizer: Tokenizer;
  private template: Template | null = null;

  constructor(dir: string, tokenizer: Tokenizer, config: Json, chatTemplate: string | null) {
    this.dir = dir;
    this.tokenizer = tokenizer;
    this.bosToken = tokenString(config.bos_token);
    this.eosToken = tokenString(config.eos_token);
    this.chatTemplate = chatTemplate;
    let max = -1;
    for (const id of tokenizer.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
  }

  /** Token ids of text; addSpecialTokens (default true) lets the tokenizer add e.g. a BOS. */
  encode(text: string, { addSpecialTokens = true }: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: number[], { skipSpecialTokens = false }: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  /** Id of one token string (e.g. "<|im_end|>"), or null if the vocabulary has no such token. */
  tokenId(token: string): number | null {
    return this.tokenizer.token_to_id(token) ?? null;
  }

  get eosTokenId(): number | null {
    return this.eosToken === null ? null : this.tokenId(this.eosToken);
  }

  get bosTokenId(): number | null {
    return this.bosToken === null ? null : this.tokenId(this.bosToken);
  }

  /** The prompt text the model's own chat template makes of a conversation. */
  renderChat(messages: ChatMessage[], { addGenerationPrompt = true, enableThinking = false }: RenderChatOptions = {}): string {
    if (this.chatTemplate === null) {
      throw new Error(`${this.dir}: the tokenizer has no chat template (tokenizer_config.json chat_template, chat_template.jinja or chat_template.json)`);
    }
    const context: Json = {
      messages,
      add_generation_prompt: addGenerationPrompt,
      enable_thinking: enableThinking,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
    };
    try {
      this.template ??= new Template(this.chatTemplate);
      return this.template.render(context);
    } catch (e) {
      // Templates raise on bad conversations too (Gemma's: "Conversation roles must alternate ...").
      throw new Error(`${this.dir}: chat template: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /**
   * Token ids of a rendered conversation. The template already writes BOS where the model
   * wants one, so the tokenizer must not add another.
   */
  encodeChat(messages: ChatMessage[], options: RenderChatOptions = {}): number[] {
    return this.encode(this.renderChat(messages, options), { addSpecialTokens: false });
  }
}

/** The chat template: tokenizer_config.json's (a string, or a list of named ones), else chat_template.jinja / .json. */
function findChatTemplate(dir: string, config: Json): string | null {
  const inConfig = config.chat_template;
  if (typeof inConfig === 'string') return inConfig;
  if (Array.isArray(inConfig)) {
    const named = inConfig.find((t): t is { name: string; template: string } => isObject(t) && t.name === 'default' && typeof t.template === 'string');
    if (named) return named.template;
  }
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (isPresent(jinjaPath)) return readBoundedText(jinjaPath, MAX_BYTES.tokenizerConfig);
  const jsonPath = join(dir, 'chat_template.json');
  if (isPresent(jsonPath)) {
    const json = readJsonFile(jsonPath, MAX_BYTES.tokenizerConfig);
    if (isObject(json) && typeof json.chat_template === 'string') return json.chat_template;
    throw new Error(`${jsonPath}: field "chat_template" is missing or not a string`);
  }
  return null;
}

/** Loads DIR/tokenizer.json and DIR/tokenizer_config.json (and the chat template). */
export function loadTokenizer(dir: string): LoadedTokenizer {
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new Error(`${tokenizerPath} is missing: the model folder needs the tokenizer files`);
  // the small file first: a bad one is refused before the big one is parsed
  const configPath = join(dir, 'tokenizer_config.json');
  const config = isPresent(configPath) ? readJsonFile(configPath, MAX_BYTES.tokenizerConfig) : {};
  if (!isObject(config)) throw new Error(`${configPath}: expected a JSON object`);
  const tokenizerJson = readJsonFile(tokenizerPath, MAX_BYTES.tokenizer);
  if (!isObject(tokenizerJson)) throw new Error(`${tokenizerPath}: expected a JSON object`);
  checkTokenizerPatterns(tokenizerJson, tokenizerPath); // they run on every prompt: no runaway backtracking
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, config);
  } catch (e) {
    throw new Error(`${tokenizerPath}: cannot build the tokenizer (${(e as Error).message})`);
  }
  return new LoadedTokenizer(dir, tokenizer, config, findChatTemplate(dir, config));
}

// ---- streaming ----

export interface StreamDecoder {
  /** Adds one generated token; returns the text it completes ('' while a character is still partial). */
  push(id: number): string;
  /** Text still held back at the end of generation (a partial character decodes as U+FFFD). */
  flush(): string;
}

/**
 * Incremental detokenizer. Decoding tokens one by one breaks multi-byte characters split over
 * several tokens and drops SentencePiece's leading spaces, so it decodes a short window:
 * the tokens since the last emitted text, prefixed by the ones before them for context, and
 * emits the difference. Text ending in U+FFFD is held until the next token completes it.
 */
export function createStreamDecoder(tokenizer: LoadedTokenizer, { skipSpecialTokens = true } = {}): StreamDecoder {
  let ids: number[] = [];
  let prefixOffset = 0; // ids[prefixOffset..readOffset) were already emitted; they give context
  let readOffset = 0;
  const decode = (part: number[]) => tokenizer.decode(part, { skipSpecialTokens });
  return {
    push(id) {
      ids.push(id);
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const fullText = decode(ids.slice(prefixOffset));
      if (fullText.length <= prefixText.length || fullText.endsWith('\uFFFD')) return '';
      // Keep only the window; older ids are never decoded again.
      ids = ids.slice(readOffset);
      prefixOffset = 0;
      readOffset = ids.length;
      return fullText.slice(prefixText.length);
    },
    flush() {
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const fullText = decode(ids.slice(prefixOffset));
      ids = ids.slice(readOffset);
      prefixOffset = 0;
      readOffset = ids.length;
      return fullText.slice(prefixText.length);
    },
  };
}

// ---- generation_config.json and EOS ids ----

export interface GenerationConfig {
  eosTokenIds: number[];
  bosTokenId?: number;
  padTokenId?: number;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
}

/** DIR/generation_config.json's sampling defaults and EOS ids; { eosTokenIds: [] } when the file is absent. */
export function readGenerationConfig(dir: string): GenerationConfig {
  const path = join(dir, 'generation_config.json');
  if (!isPresent(path)) return { eosTokenIds: [] };
  const json = readJsonFile(path, MAX_BYTES.config);
  if (!isObject(json)) throw new Error(`${path}: expected a JSON object`);
  const bad = (key: string, what: string) => new Error(`${path}: field "${key}" must be ${what} (got ${JSON.stringify(json[key])})`);
  const tokenId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const out: GenerationConfig = { eosTokenIds: [] };

  const eos = json.eos_token_id;
  if (eos !== undefined && eos !== null) {
    const list = Array.isArray(eos) ? eos : [eos];
    if (!list.every(tokenId)) throw bad('eos_token_id', 'a token id or a list of them');
    out.eosTokenIds = list as number[];
  }
  const ids: [keyof GenerationConfig, string][] = [['bosTokenId', 'bos_token_id'], ['padTokenId', 'pad_token_id']];
  for (const [field, key] of ids) {
    const v = json[key];
    if (v === undefined || v === null) continue;
    if (!tokenId(v)) throw bad(key, 'a token id');
    (out as unknown as Json)[field] = v;
  }
  const numbers: [keyof GenerationConfig, string, 'int' | 'num'][] = [
    ['temperature', 'temperature', 'num'],
    ['topK', 'top_k', 'int'],
    ['topP', 'top_p', 'num'],
    ['repetitionPenalty', 'repetition_penalty', 'num'],
    ['maxNewTokens', 'max_new_tokens', 'int'],
  ];
  for (const [field, key, kind] of numbers) {
    const v = json[key];
    if (v === undefined || v === null) continue;
    const ok = kind === 'int' ? Number.isSafeInteger(v) && (v as number) >= 0 : typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (!ok) throw bad(key, kind === 'int' ? 'a non-negative integer' : 'a non-negative number');
    (out as unknown as Json)[field] = v;
  }
  if (json.do_sample !== undefined && json.do_sample !== null) {
    if (typeof json.do_sample !== 'boolean') throw bad('do_sample', 'true or false');
    out.doSample = json.do_sample;
  }
  return out;
}

/** Every id that ends a reply: config.json's, generation_config.json's and the tokenizer's eos token, in that order. */
export function eosIds(config: Pick<ModelConfig, 'eosTokenIds'>, generation: GenerationConfig | null, tokenizer: LoadedTokenizer | null): number[] {
  const all = [...config.eosTokenIds, ...(generation?.eosTokenIds ?? [])];
  const fromTokenizer = tokenizer?.eosTokenId;
  if (fromTokenizer !== undefined && fromTokenizer !== null) all.push(fromTokenizer);
  return [...new Set(all)];
}
