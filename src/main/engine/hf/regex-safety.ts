// Regular expressions from a tokenizer.json (pre-tokenizer and normalizer "Regex" patterns) run
// on every prompt, in a backtracking engine. A pattern that repeats a group which itself repeats
// ("(a+)+$", "(.*.*)*z") can take exponential time on a short input; released tokenizers never
// need one (Qwen's, Llama's: quantifiers on single atoms and classes only). Refused at load.

const MAX_PATTERN = 10_000;

/** Why `pattern` could backtrack without bound, or null. */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN) return `is longer than ${MAX_PATTERN} characters`;
  const groups: { quantified: boolean }[] = []; // open groups: does their content repeat?
  let lastGroupRepeats = false; // the group that just closed repeats inside
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const repeatHere = c === '*' || c === '+' || (c === '{' && /^\{\d*,\d*\}/.test(pattern.slice(i)) && !/^\{\d+\}/.test(pattern.slice(i)));
    if (c === '\\') {
      i++;
      lastGroupRepeats = false;
    } else if (c === '[') {
      // a class: skip to its closing bracket (escapes included)
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      lastGroupRepeats = false;
    } else if (c === '(') {
      groups.push({ quantified: false });
      lastGroupRepeats = false;
    } else if (c === ')') {
      const g = groups.pop();
      lastGroupRepeats = g?.quantified ?? false;
      if (g?.quantified && groups.length) groups[groups.length - 1].quantified = true;
      continue;
    } else if (repeatHere) {
      if (lastGroupRepeats) return `repeats a group that repeats inside it (at character ${i}), which can take exponential time`;
      if (groups.length) groups[groups.length - 1].quantified = true;
    } else if (c !== '?') lastGroupRepeats = false;
  }
  return null;
}

/** Every "Regex" pattern of a tokenizer.json's pre-tokenizer and normalizer, checked. */
export function checkTokenizerPatterns(json: Record<string, unknown>, file: string): void {
  const visit = (v: unknown, where: string, depth: number): void => {
    if (depth > 16 || typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Regex' && typeof x === 'string') {
        const why = unsafePattern(x);
        if (why) throw new Error(`${file}: ${where}.Regex ${JSON.stringify(x.slice(0, 80))} ${why}`);
      } else visit(x, `${where}.${k}`, depth + 1);
    }
  };
  visit(json.pre_tokenizer, 'pre_tokenizer', 0);
  visit(json.normalizer, 'normalizer', 0);
}
