// Every Hugging Face tensor the decoder builder reads, with the shape config.json implies.
// The import checks them all against the checkpoint's headers before anything is written.
import { basename } from 'node:path';
import type { ModelConfig } from '../hf/config.ts';
import { HF_MODULE_PATH, MODULES, moduleShape } from '../modules.ts';
import type { ArchSpec } from './arch.ts';

export function expectedTensors(config: ModelConfig, arch: ArchSpec): Map<string, number[]> {
  const c = config;
  const p = c.weightPrefix;
  const shapes = new Map<string, number[]>();
  shapes.set(`${p}embed_tokens.weight`, [c.vocabSize, c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    for (const m of MODULES) {
      const [inDim, outDim] = moduleShape(c, m);
      shapes.set(`${p}layers.${i}.${HF_MODULE_PATH[m]}.weight`, [outDim, inDim]);
    }
    for (const norm of Object.values(arch.norms)) if (norm) shapes.set(`${p}layers.${i}.${norm}.weight`, [c.hiddenSize]);
    if (arch.qkNorm) {
      shapes.set(`${p}layers.${i}.self_attn.q_norm.weight`, [c.headDim]);
      shapes.set(`${p}layers.${i}.self_attn.k_norm.weight`, [c.headDim]);
    }
  }
  shapes.set(`${p}norm.weight`, [c.hiddenSize]);
  if (!c.tieWordEmbeddings) shapes.set(c.lmHeadName, [c.vocabSize, c.hiddenSize]);
  return shapes;
}

interface ShapeSource {
  has(name: string): boolean;
  info(name: string): { shape: number[] };
  pathOf(name: string): string;
}

/** Throws a one-line error naming the first missing or misshapen tensor. */
export function checkTensors(expected: Map<string, number[]>, source: ShapeSource, dir: string, configFile = 'config.json'): void {
  for (const [name, shape] of expected) {
    if (!source.has(name)) throw new Error(`${dir}: tensor "${name}" is missing from the checkpoint (${configFile} implies it)`);
    const found = source.info(name).shape;
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${basename(source.pathOf(name))}: tensor "${name}" has shape [${found.join(', ')}], ${configFile} implies [${shape.join(', ')}]`,
      );
    }
  }
}
