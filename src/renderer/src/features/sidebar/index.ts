export { default as Sidebar } from './sidebar.svelte';
export { SearchState } from './search.svelte.ts';
