export { default as EvaluateView } from './evaluate-view.svelte';
export { EvalsState } from './evals.svelte.ts';
export { EvalFormState } from './eval-form.svelte.ts';
