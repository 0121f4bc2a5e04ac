// What one architecture family brings: how its config.json reads, how its decoder differs from
// Llama's, which names point at it, the released models' shapes, and how `dev make-model` writes
// a checkpoint of it. One file per family (this folder); families/index.ts lists them.
import type { ArchSpec } from '../build/arch.ts';
import type { Fields, Json } from '../hf/config-fields.ts';
import type { ModelConfig } from '../hf/config.ts';

/** Decoder shapes, as config.json states them. */
export interface Shape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

/** A released model of the family (the paper's and its neighbours). */
export interface ReleasedModel {
  name: string; // as released, e.g. "Qwen3-4B"
  shape: Shape;
  /** `dev make-model --preset` name, for those the benchmarks and tests make. */
  preset?: string;
  tied?: boolean;
  shards?: number; // safetensors shards of the release
  vocab?: number; // when it differs from the family's
  multimodal?: boolean; // config.json wraps the decoder (gemma-3-4b-it's text_config)
}

/** What a `dev make-model` preset makes. */
export interface DevPlan {
  shape: Shape;
  tied: boolean;
  shards: number;
  vocab: number;
  tiny: boolean;
  multimodal: boolean;
}

export interface Family<K extends string = string> {
  key: K;
  /** Parsers by config.json's architectures[0]; each reads the family's field names and defaults. */
  parsers: Record<string, (f: Fields, hfArchitecture: string) => ModelConfig>;
  /** Graph flags of the decoder (build/decoder.ts reads them). */
  spec: Omit<ArchSpec, 'key'>;
  /** A PEFT base_model_name_or_path or a release folder that names this family. */
  namePattern: RegExp;
  released: ReleasedModel[];
  /** For `dev make-model`: random-weight checkpoints shaped and configured like the releases. */
  dev: {
    shapes: { tiny: Shape; '0.6b': Shape };
    /** tie_word_embeddings of the tiny preset (an untied one exercises the lm_head path). */
    tinyTied: boolean;
    vocab: number; // the released config.json's vocab_size, so every id its tokenizer makes is valid
    tokenizerPackage: string; // the package that ships the family's real tokenizer files
    config(shape: Shape, plan: DevPlan): Json;
    generationConfig: Json;
  };
}
