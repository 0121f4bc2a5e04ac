// Shapes of the released models the paper's diffs and DIT adapters were made for, so that
// `adapters inspect` can say which base an adapter fits before any of them is on disk.
import type { BaseShapes } from './adapters/validate.ts';
import { RELEASED_MODELS } from './families/index.ts';

export function knownBaseShapes(): { name: string; base: BaseShapes }[] {
  return RELEASED_MODELS.map(({ name, arch, shape: k }) => ({
    name,
    base: {
      arch,
      layers: k.layers,
      modules: {
        q: [k.hidden, k.heads * k.headDim],
        k: [k.hidden, k.kvHeads * k.headDim],
        v: [k.hidden, k.kvHeads * k.headDim],
        o: [k.heads * k.headDim, k.hidden],
        gate: [k.hidden, k.intermediate],
        up: [k.hidden, k.intermediate],
        down: [k.intermediate, k.hidden],
      },
    },
  }));
}
