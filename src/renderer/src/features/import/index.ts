export { default as ImportView } from './import-view.svelte';
export { ImportState, IMPORT_KINDS } from './import.svelte.ts';
