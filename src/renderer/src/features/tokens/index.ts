export { default as ReplyTokenView } from './reply-token-view.svelte';
export { default as CompareTokenBar } from './compare-token-bar.svelte';
export { default as CompareTokenView } from './compare-token-view.svelte';
export { compareTokens } from './compare-tokens.svelte.ts';
