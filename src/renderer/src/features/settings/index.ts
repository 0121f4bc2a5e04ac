export { default as SettingsView } from './settings-view.svelte';
export { fromFields, toFields, type SamplingFields } from './sampling.ts';
