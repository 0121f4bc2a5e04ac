export { default as InspectView } from './inspect-view.svelte';
