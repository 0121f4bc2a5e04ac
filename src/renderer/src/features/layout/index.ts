export { default as AppShell } from './app-shell.svelte';
