// A small Markdown parser for model output and user text. It produces a tree of plain data that
// Svelte components render as DOM nodes, with every piece of text interpolated (escaped): raw HTML
// in the source stays text, links are kept only for http(s) and mailto. Covers what chat answers
// use: paragraphs with line breaks, headings, fenced code (also unclosed, while streaming), block
// quotes, lists, rules; inline code, strong, emphasis, links. Nesting is bounded, so hostile input
// costs linear-ish time and never a deep recursion.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' };

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; children: Block[] }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { type: 'rule' };

/** Deeper quotes, lists and emphasis than this are shown as text. */
const MAX_DEPTH = 8;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;

const isBlank = (line: string) => line.trim() === '';
const startsBlock = (line: string) => FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);

export function parseMarkdown(source: string): Block[] {
  return blocks(source.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function blocks(lines: string[], depth: number): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const [, marks, lang] = fence;
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${marks![0]}{${marks!.length},}\\s*$`).test(lines[i]!)) body.push(lines[i++]!);
      i++; // the closing fence (or the end, while a reply is still streaming)
      out.push({ type: 'code', lang: lang ?? '', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push({ type: 'heading', level: heading[1]!.length as 1, children: inlines(heading[2] ?? '', depth) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push({ type: 'rule' });
      i++;
      continue;
    }
    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(lines[i++]!.replace(QUOTE, ''));
      out.push({ type: 'quote', children: blocks(inner, depth + 1) });
      continue;
    }
    if (depth < MAX_DEPTH && ITEM.test(line)) {
      const [list, next] = listAt(lines, i, depth);
      out.push(list);
      i = next;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]!) && (para.length === 0 || !startsBlock(lines[i]!))) para.push(lines[i++]!.trim());
    out.push({ type: 'paragraph', children: inlines(para.join('\n'), depth) });
  }
  return out;
}

/** A list from line i: items of the same kind; an item's lines are those indented past its marker. */
function listAt(lines: string[], i: number, depth: number): [Block, number] {
  const first = ITEM.exec(lines[i]!)!;
  const ordered = /\d/.test(first[2]!);
  const items: Block[][] = [];
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]!);
    if (!m || /\d/.test(m[2]!) !== ordered) break;
    const indent = m[1]!.length + m[2]!.length + Math.max(1, Math.min(m[3]!.length, 4));
    const body = [m[4]!];
    i++;
    while (i < lines.length) {
      const line = lines[i]!;
      if (isBlank(line)) {
        // A blank line ends the item unless indented content follows.
        const after = lines[i + 1];
        if (after !== undefined && !isBlank(after) && leading(after) >= indent) {
          body.push('');
          i++;
          continue;
        }
        break;
      }
      if (leading(line) >= indent) body.push(line.slice(indent));
      else if (ITEM.test(line) || startsBlock(line)) break;
      else body.push(line.trim()); // a lazy continuation of the item's paragraph
      i++;
    }
    items.push(blocks(body, depth + 1));
    // A blank line between items keeps the list going.
    if (i < lines.length && isBlank(lines[i]!) && i + 1 < lines.length && ITEM.test(lines[i + 1]!)) i++;
  }
  return [{ type: 'list', ordered, start: ordered ? parseInt(first[2]!, 10) : 1, items }, i];
}

const leading = (line: string) => line.length - line.trimStart().length;

const ESCAPABLE = /[\\`*_{}[\]()#+\-.!<>~|]/;

/** Safe link targets only: web and mail. Anything else (javascript:, data:, relative) is text. */
export function safeHref(url: string): string | null {
  const href = url.trim();
  return /^(https?:\/\/|mailto:)[^\s]+$/i.test(href) ? href : null;
}

/**
 * Where a search for a closing mark has failed: a later search for the same mark fails too (a
 * closer's validity depends only on the closer), so hostile input such as `*a *a *a ...` stays
 * linear instead of scanning the rest of the text from every opener.
 */
type Misses = Map<string, number>;

function find(text: string, needle: string, from: number, misses: Misses, valid: (at: number) => boolean = () => true): number {
  if (from >= (misses.get(needle) ?? Infinity)) return -1;
  let at = text.indexOf(needle, from);
  while (at >= 0 && !valid(at)) at = text.indexOf(needle, at + 1);
  if (at < 0) misses.set(needle, Math.min(from, misses.get(needle) ?? Infinity));
  return at;
}

export function inlines(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  const misses: Misses = new Map();
  let buf = '';
  const flush = () => {
    if (buf) out.push({ type: 'text', text: buf });
    buf = '';
  };
  const nest = depth < MAX_DEPTH;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.test(text[i + 1]!)) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ type: 'break' });
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = find(text, run, i + run.length, misses, (at) => text[at + run.length] !== '`' && text[at - 1] !== '`');
      if (close > 0) {
        flush();
        out.push({ type: 'code', text: text.slice(i + run.length, close).replace(/^ (.*) $/, '$1') });
        i = close + run.length;
        continue;
      }
      buf += run;
      i += run.length;
      continue;
    }
    if (nest && (c === '*' || c === '_')) {
      const span = emphasisAt(text, i, depth, misses);
      if (span) {
        flush();
        out.push(span.node);
        i = span.end;
        continue;
      }
    }
    if (nest && c === '[') {
      const link = linkAt(text, i, depth, misses);
      if (link) {
        flush();
        out.push(...link.nodes);
        i = link.end;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

/** `**strong**`, `__strong__`, `*em*`, `_em_` (underscores only at word edges, not in snake_case). */
function emphasisAt(text: string, i: number, depth: number, misses: Misses): { node: Inline; end: number } | null {
  const c = text[i]!;
  const double = text[i + 1] === c;
  const mark = double ? c + c : c;
  const open = i + mark.length;
  if (open >= text.length || /\s/.test(text[open]!)) return null;
  if (c === '_' && i > 0 && /\w/.test(text[i - 1]!)) return null;
  const close = find(text, mark, open + 1, misses, (at) => {
    const before = text[at - 1]!;
    const after = text[at + mark.length];
    const edge = !/\s/.test(before) && (c !== '_' || after === undefined || !/\w/.test(after));
    // A single mark must not be half of a double one.
    return edge && (double || (after !== c && before !== c));
  });
  if (close < 0) return null;
  const children = inlines(text.slice(open, close), depth + 1);
  return { node: { type: double ? 'strong' : 'em', children }, end: close + mark.length };
}

/** `[text](url)`; an unsafe url leaves the link's text as plain text. */
function linkAt(text: string, i: number, depth: number, misses: Misses): { nodes: Inline[]; end: number } | null {
  const close = find(text, '](', i + 1, misses);
  if (close < 0 || text.slice(i + 1, close).includes('\n')) return null;
  const end = find(text, ')', close + 2, misses);
  if (end < 0) return null;
  const url = text.slice(close + 2, end);
  if (/\s/.test(url.trim())) return null;
  const children = inlines(text.slice(i + 1, close), depth + 1);
  const href = safeHref(url);
  return { nodes: href ? [{ type: 'link', href, children }] : children, end: end + 1 };
}
