// The diff inspector's shapes (docs/inspector.md): per-module figures of one adapter, its nearest
// diffs, and a map of a whole experiment. Plain data (JSON-safe).

/** One module of an adapter: ΔW = scale · a b, figures exact from the factors. */
export interface ModuleFigures {
  layer: number;
  /** "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" */
  module: string;
  /** ||ΔW||_F */
  frobenius: number;
  /** ||ΔW||_F / ||W||_F of the base weight; null where the base weights are not at hand */
  relative: number | null;
  /** singular values of ΔW, descending */
  singularValues: number[];
  /** ||ΔW||_F² / σ_max² */
  stableRank: number;
  /** exp(entropy of σ_i / Σσ) */
  effectiveRank: number;
}

/** An adapter of the catalog next to another, by the cosine of their ΔW over all modules. */
export interface SimilarAdapter {
  id: string;
  cosine: number;
  label: string | null;
  split: 'train' | 'test' | null;
  kind: 'diff' | 'dit' | 'full';
  tags: string[];
}

export interface SimilarAdapters {
  id: string;
  label: string | null;
  /** how many adapters of the same base model were compared */
  compared: number;
  nearest: SimilarAdapter[];
}

/** One adapter placed on the experiment map. */
export interface MapPoint {
  id: string;
  x: number;
  y: number;
  label: string | null;
  split: 'train' | 'test' | null;
  /** a tag `category:NAME` where the adapter has one (the demo's topic categories), else null */
  category: string | null;
}

export interface AdapterMap {
  modelId: string;
  /** classical MDS of the cosine Gram matrix: the top two eigenvectors, scaled by √λ */
  points: MapPoint[];
  /** share of the Gram matrix's positive spectrum the two axes show */
  explained: [number, number];
  /** more diffs than the map places (it places at most 5,000) */
  omitted: number;
}
