export { default as Markdown } from './markdown.svelte';
export { parseMarkdown, inlines, safeHref, type Block, type Inline } from './parse.ts';
