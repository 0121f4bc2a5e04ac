// Llama 3.x: the base decoder as it is (llama3 RoPE scaling is read from config.json).
import { baseArch, type ArchSpec } from './arch.ts';

export const llama: ArchSpec = {
  ...baseArch,
  key: 'llama',
};
