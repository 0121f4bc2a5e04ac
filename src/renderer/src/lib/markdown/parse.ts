// Markdown of model output and user text, parsed by a CommonMark + GFM parser (micromark through
// mdast-util-from-markdown, with tables, strikethrough, task lists and autolinks) and reduced to a
// small tree of plain data that Svelte components render as DOM nodes. Every piece of text is
// interpolated (escaped): raw HTML in the source becomes text, links are kept only for http(s)
// and mailto, images become their text (the page loads no remote content). Deeper nesting than
// MAX_DEPTH is flattened to text, so hostile input never builds a deep DOM.
import type { Nodes, PhrasingContent, RootContent, Table } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'delete'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' };

export type Align = 'left' | 'center' | 'right' | null;

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; children: Block[] }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][]; checked: (boolean | null)[] }
  | { type: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  | { type: 'rule' };

/** Deeper quotes, lists and emphasis than this are shown as their text. */
const MAX_DEPTH = 8;

/** `~one~` is not strikethrough: model output uses a single tilde for "about" (~5 tokens). */
const extensions = [gfm({ singleTilde: false })];
const mdastExtensions = [gfmFromMarkdown()];

/** Longer texts are shown as text: the parser's cost grows faster than their length. */
const MAX_SOURCE = 200_000;

export function parseMarkdown(source: string): Block[] {
  if (source.length > MAX_SOURCE) return [{ type: 'paragraph', children: lines(source) }];
  let tree: ReturnType<typeof fromMarkdown>;
  try {
    tree = fromMarkdown(defuse(source), { extensions, mdastExtensions });
  } catch {
    // Thousands of nested quotes or lists exhaust the parser's stack: such a text is shown as text.
    return [{ type: 'paragraph', children: lines(source) }];
  }
  return new Reducer(tree.children).blocks(tree.children, 0);
}

/** A quote or list marker at the start of a line (the parser's containers). */
const CONTAINER = /^ {0,3}(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*/;
/** A run of emphasis marks longer than any real emphasis, outside a rule line. */
const MARK_RUN = /([*_])\1{4,}/g;
const RULE_LINE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;

/**
 * Hostile input made harmless before parsing, without changing what it shows: containers nested
 * past MAX_DEPTH on one line, and long runs of `*` or `_`, are escaped (shown as the characters
 * they are), since the parser takes seconds over such input (or exhausts its stack).
 */
function defuse(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      let at = 0;
      for (let n = 0; n < MAX_DEPTH; n++) {
        const m = CONTAINER.exec(line.slice(at));
        if (!m) break;
        at += m[0].length;
      }
      const rest = line.slice(at);
      let out = line;
      if (at > 0 && CONTAINER.test(rest)) {
        const marker = rest.trimStart();
        const escaped = /^\d/.test(marker) ? marker.replace(/^(\d+)/, '$1\\') : `\\${marker}`;
        out = line.slice(0, at) + escaped;
      }
      return RULE_LINE.test(out) ? out : out.replace(MARK_RUN, (run) => run.replace(/[*_]/g, '\\$&'));
    })
    .join('\n');
}

/** The inline content of a short text (a paragraph's worth). */
export function inlines(text: string): Inline[] {
  return parseMarkdown(text).flatMap((b) => ('children' in b && b.type !== 'quote' ? b.children : []));
}

/** Safe link targets only: web and mail. Anything else (javascript:, data:, relative) is text. */
export function safeHref(url: string): string | null {
  const href = url.trim();
  return /^(https?:\/\/|mailto:)[^\s]+$/i.test(href) ? href : null;
}

/** All the text of a node, for what is shown flat (too deep, images, html); iterative, as trees can be deep. */
function plain(root: Nodes): string {
  let text = '';
  const stack: Nodes[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === 'break') text += '\n';
    else if ('value' in node) text += node.value;
    else if (node.type === 'image' || node.type === 'imageReference') text += node.alt ?? '';
    else if ('children' in node) {
      const children = node.children as Nodes[];
      // Blocks inside a flattened container keep a line of their own.
      if (text && !text.endsWith('\n') && children.length && !isPhrasing(node)) text += '\n';
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return text;
}

const isPhrasing = (node: Nodes) => ['emphasis', 'strong', 'delete', 'link', 'linkReference', 'paragraph', 'heading', 'tableCell'].includes(node.type);

class Reducer {
  /** Reference-style link definitions ([x]: https://...), by their normalised label. */
  readonly #definitions = new Map<string, string>();

  constructor(top: RootContent[]) {
    for (const node of top) if (node.type === 'definition') this.#definitions.set(node.identifier, node.url);
  }

  blocks(nodes: RootContent[], depth: number): Block[] {
    return nodes.flatMap((n) => this.#block(n, depth));
  }

  #block(node: RootContent, depth: number): Block[] {
    switch (node.type) {
      case 'paragraph':
        return [{ type: 'paragraph', children: this.#inlines(node.children, depth) }];
      case 'heading':
        return [{ type: 'heading', level: node.depth, children: this.#inlines(node.children, depth) }];
      case 'code':
        return [{ type: 'code', lang: node.lang ?? '', text: node.value }];
      case 'thematicBreak':
        return [{ type: 'rule' }];
      case 'blockquote':
        return depth < MAX_DEPTH ? [{ type: 'quote', children: this.blocks(node.children, depth + 1) }] : this.#flat(node);
      case 'list':
        if (depth >= MAX_DEPTH) return this.#flat(node);
        return [
          {
            type: 'list',
            ordered: !!node.ordered,
            start: node.start ?? 1,
            items: node.children.map((item) => this.blocks(item.children, depth + 1)),
            checked: node.children.map((item) => item.checked ?? null),
          },
        ];
      case 'table':
        return [this.#table(node, depth)];
      case 'definition':
        return [];
      default:
        // html (shown as its source text), footnote definitions, anything else: text
        return this.#flat(node);
    }
  }

  #flat(node: Nodes): Block[] {
    const text = plain(node);
    return text ? [{ type: 'paragraph', children: lines(text) }] : [];
  }

  #table(node: Table, depth: number): Block {
    const [head, ...rows] = node.children.map((row) => row.children.map((cell) => this.#inlines(cell.children, depth)));
    return { type: 'table', align: node.align ?? [], head: head ?? [], rows };
  }

  #inlines(nodes: PhrasingContent[], depth: number): Inline[] {
    const out: Inline[] = [];
    for (const node of nodes) for (const n of this.#inline(node, depth)) push(out, n);
    return out;
  }

  #inline(node: PhrasingContent, depth: number): Inline[] {
    const nested = (type: 'strong' | 'em' | 'delete', children: PhrasingContent[]): Inline[] =>
      depth < MAX_DEPTH ? [{ type, children: this.#inlines(children, depth + 1) }] : lines(plain(node));
    switch (node.type) {
      case 'text':
      case 'html':
        return lines(node.value);
      case 'inlineCode':
        return [{ type: 'code', text: node.value }];
      case 'break':
        return [{ type: 'break' }];
      case 'strong':
        return nested('strong', node.children);
      case 'emphasis':
        return nested('em', node.children);
      case 'delete':
        return nested('delete', node.children);
      case 'link':
        return this.#link(node.url, node.children, depth);
      case 'linkReference': {
        const url = this.#definitions.get(node.identifier);
        return url === undefined ? lines(plain(node)) : this.#link(url, node.children, depth);
      }
      default:
        // images (no remote content: their alt text), footnote references
        return lines(plain(node));
    }
  }

  /** A link to a safe address; an unsafe one leaves its text as plain text. */
  #link(url: string, children: PhrasingContent[], depth: number): Inline[] {
    const href = safeHref(url);
    if (!href || depth >= MAX_DEPTH) return lines(children.map(plain).join(''));
    return [{ type: 'link', href, children: this.#inlines(children, depth + 1) }];
  }
}

/** Text with its line breaks kept: chat answers use single newlines as breaks. */
function lines(text: string): Inline[] {
  const out: Inline[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) out.push({ type: 'break' });
    if (line) out.push({ type: 'text', text: line });
  });
  return out;
}

/** Appends, merging neighbouring text (escapes and html split it into pieces). */
function push(out: Inline[], node: Inline): void {
  const last = out.at(-1);
  if (node.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + node.text };
  else out.push(node);
}
