// rank_pattern / alpha_pattern keys of adapter_config.json, matched as PEFT matches them (a key k
// applies to module name n when n matches `(.*\.)?(k)$`: a suffix of the name at a dot boundary,
// k being a regular expression), but in time bounded by the lengths, never by backtracking. A key
// from a stranger's file such as "(.*.*)*z" would make a backtracking engine run for ever.
//
// The regular expressions accepted: literal characters, ".", escapes (\. \d \w \s ...), classes
// [a-z0-9_], the quantifiers * + ? {m} {m,n} on one of those, groups (...) and (?:...) with "|"
// alternatives, and ^ / $ at the ends. A quantifier on a group is refused (that is where
// catastrophic patterns live; real keys are module names such as "model.layers.3.self_attn.q_proj"
// or "q_proj"). Keys of name characters only compare one suffix; others have their alternatives
// expanded into flat sequences, each matched by dynamic programming over (name position, pattern
// position), every step charged to a per-file budget.

type Atom = (c: string) => boolean;
interface Item {
  atom: Atom;
  min: number;
  max: number; // Infinity for * and +
}
type Seq = Item[];

const MAX_KEY = 256;
const MAX_ALTERNATIVES = 64;
const MAX_REPEAT = 32;

class PatternError extends Error {}

function classAtom(body: string, negate: boolean): Atom {
  const singles = new Set<string>();
  const ranges: [string, string][] = [];
  const tests: Atom[] = [];
  for (let i = 0; i < body.length; i++) {
    let c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      const e = escapeAtom(body[++i]);
      if (e.test) {
        tests.push(e.test);
        continue;
      }
      c = e.literal!;
    }
    if (body[i + 1] === '-' && i + 2 < body.length) {
      ranges.push([c, body[i + 2]]);
      i += 2;
    } else singles.add(c);
  }
  const inside: Atom = (ch) => singles.has(ch) || ranges.some(([a, b]) => ch >= a && ch <= b) || tests.some((t) => t(ch));
  return negate ? (ch) => !inside(ch) : inside;
}

function escapeAtom(c: string): { test?: Atom; literal?: string } {
  switch (c) {
    case 'd':
      return { test: (ch) => ch >= '0' && ch <= '9' };
    case 'w':
      return { test: (ch) => /\w/.test(ch) };
    case 's':
      return { test: (ch) => /\s/.test(ch) };
    case 'D':
      return { test: (ch) => !(ch >= '0' && ch <= '9') };
    case 'W':
      return { test: (ch) => !/\w/.test(ch) };
    default:
      if (/[0-9]/.test(c)) throw new PatternError('back-references are not supported');
      if (/[a-zA-Z]/.test(c)) throw new PatternError(`the escape \\${c} is not supported`);
      return { literal: c };
  }
}

/** Parses alternatives until `)` or the end; returns the flat sequences they expand to. */
function parseAlternatives(p: string, pos: { i: number }, depth: number): Seq[] {
  if (depth > 16) throw new PatternError('groups nest too deeply');
  const alternatives: Seq[] = [];
  let current: Seq[] = [[]];
  const append = (items: Seq[]) => {
    const next: Seq[] = [];
    for (const a of current) for (const b of items) next.push([...a, ...b]);
    if (next.length > MAX_ALTERNATIVES) throw new PatternError(`more than ${MAX_ALTERNATIVES} alternatives`);
    current = next;
  };
  while (pos.i < p.length) {
    const c = p[pos.i];
    if (c === ')') break;
    if (c === '|') {
      alternatives.push(...current);
      current = [[]];
      pos.i++;
      continue;
    }
    if (c === '(') {
      pos.i++;
      if (p.startsWith('?:', pos.i)) pos.i += 2;
      else if (p[pos.i] === '?') throw new PatternError('look-arounds and named groups are not supported');
      const inner = parseAlternatives(p, pos, depth + 1);
      if (p[pos.i] !== ')') throw new PatternError('a group is not closed');
      pos.i++;
      if (/[*+?{]/.test(p[pos.i] ?? '')) throw new PatternError('a quantifier on a group is not supported (it can take exponential time)');
      append(inner);
      continue;
    }
    if ((c === '^' && pos.i === 0) || (c === '$' && pos.i === p.length - 1)) {
      pos.i++; // the match is anchored at a dot boundary and at the end anyway
      continue;
    }
    let atom: Atom;
    if (c === '.') atom = () => true;
    else if (c === '\\') {
      if (pos.i + 1 >= p.length) throw new PatternError('ends with a lone backslash');
      const e = escapeAtom(p[++pos.i]);
      const lit = e.literal;
      atom = e.test ?? ((ch) => ch === lit);
    } else if (c === '[') {
      const close = p.indexOf(']', pos.i + 2);
      if (close < 0) throw new PatternError('a character class is not closed');
      const negate = p[pos.i + 1] === '^';
      atom = classAtom(p.slice(pos.i + (negate ? 2 : 1), close), negate);
      pos.i = close;
    } else if (/[*+?{}^$]/.test(c)) throw new PatternError(`"${c}" has nothing to apply to`);
    else atom = (ch) => ch === c;
    pos.i++;
    const item: Item = { atom, min: 1, max: 1 };
    const q = p[pos.i];
    if (q === '*' || q === '+' || q === '?') {
      [item.min, item.max] = q === '*' ? [0, Infinity] : q === '+' ? [1, Infinity] : [0, 1];
      pos.i++;
    } else if (q === '{') {
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(p.slice(pos.i));
      if (!m) throw new PatternError('a "{" that is not a {m,n} repetition');
      item.min = Number(m[1]);
      item.max = m[2] === undefined ? item.min : m[3] === '' ? Infinity : Number(m[3]);
      if (item.min > MAX_REPEAT || (item.max !== Infinity && item.max > MAX_REPEAT) || item.max < item.min) throw new PatternError(`repetition ${m[0]} is out of range`);
      pos.i += m[0].length;
    }
    if (/[*+?{]/.test(p[pos.i] ?? '')) throw new PatternError('a quantifier on a quantifier is not supported');
    append([[item]]);
  }
  alternatives.push(...current);
  if (alternatives.length > MAX_ALTERNATIVES) throw new PatternError(`more than ${MAX_ALTERNATIVES} alternatives`);
  return alternatives;
}

/** Work allowed for matching every key of one file against every module: a few hundred ms at most. */
export const MATCH_BUDGET = 20_000_000;
export interface Budget {
  left: number;
}

/**
 * ok[i] = the sequence matches s[i..] completely, for every i (DP over the sequence from its end:
 * O(|s| × |seq| × MAX_REPEAT) at worst, charged to the budget).
 */
function suffixMatches(seq: Seq, s: string, budget: Budget): Uint8Array {
  const n = s.length;
  let next = new Uint8Array(n + 1);
  next[n] = 1;
  for (let j = seq.length - 1; j >= 0; j--) {
    const { atom, min, max } = seq[j];
    if ((budget.left -= (n + 1) * (max === Infinity ? 2 + min : 1 + max)) < 0) throw new Error('takes too long to match against the module names');
    const row = new Uint8Array(n + 1);
    // star[i]: s[i..i+t) are all atoms and next[i+t], for some t >= 0
    const star = new Uint8Array(n + 2);
    if (max === Infinity) for (let i = n; i >= 0; i--) star[i] = next[i] || (i < n && atom(s[i]) && star[i + 1]) ? 1 : 0;
    for (let i = n; i >= 0; i--) {
      let k = 0;
      while (k < min && i + k < n && atom(s[i + k])) k++;
      if (k < min) continue;
      if (max === Infinity) row[i] = star[i + min];
      else for (let t = min; t <= max && !row[i]; t++) {
        if (next[i + t]) row[i] = 1;
        else if (i + t >= n || !atom(s[i + t])) break;
      }
    }
    next = row;
  }
  return next;
}

export interface ModulePattern {
  key: string;
  /** PEFT's rule: the key matches the whole name, or the part after one of its dots. */
  test(moduleName: string, budget: Budget): boolean;
}

/** Compiles one key; the error says why it is refused (the caller names the file and field). */
export function compileModulePattern(key: string): ModulePattern {
  if (key.length > MAX_KEY) throw new Error(`is longer than ${MAX_KEY} characters`);
  let seqs: Seq[];
  try {
    const pos = { i: 0 };
    seqs = parseAlternatives(key, pos, 0);
    if (pos.i !== key.length) throw new PatternError('has an unmatched ")"');
  } catch (e) {
    if (e instanceof PatternError) throw new Error(`is not a supported pattern: ${e.message}`);
    throw e;
  }
  if (/^[\w.-]*$/.test(key)) return literalPattern(key); // a module name or suffix: most keys PEFT writes
  return {
    key,
    test(name, budget) {
      for (const seq of seqs) {
        const ok = suffixMatches(seq, name, budget);
        if (ok[0]) return true;
        for (let i = 0; i < name.length; i++) if (name[i] === '.' && ok[i + 1]) return true;
      }
      return false;
    },
  };
}

/**
 * A key of name characters and dots: it can only match the suffix of its own length, so one
 * comparison (a "." in the key still matches any character, as in the regular expression).
 */
function literalPattern(key: string): ModulePattern {
  return {
    key,
    test(name, budget) {
      budget.left -= key.length + 1;
      const start = name.length - key.length;
      if (start < 0 || (start > 0 && name[start - 1] !== '.')) return false;
      for (let i = 0; i < key.length; i++) if (key[i] !== '.' && key[i] !== name[start + i]) return false;
      return true;
    },
  };
}
