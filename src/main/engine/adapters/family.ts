// The model family a name points at: a PEFT adapter's base_model_name_or_path ("Qwen/Qwen3-4B"),
// or the paper's release folders (".../hidden-topic/gemma3-4b/weight-diffs/x.pt"). Used so that
// a diff made for one family is refused on another even where the shapes happen to agree.
import { ALL_FAMILIES, type ArchKey } from '../families/index.ts';

export function familyFromName(name: string): ArchKey | null {
  const hits = ALL_FAMILIES.filter((f) => f.namePattern.test(name));
  return hits.length === 1 ? hits[0].key : null; // two families named: no claim
}

/** The family a paper file's release folder names: <experiment>/<model>/[weight-diffs/]file.pt */
export function familyFromPaperPath(path: string): ArchKey | null {
  const parts = path.split(/[\\/]/);
  const file = parts.length - 1;
  const model = parts[file - 1] === 'weight-diffs' ? parts[file - 2] : parts[file - 1];
  return model ? familyFromName(model) : null;
}
