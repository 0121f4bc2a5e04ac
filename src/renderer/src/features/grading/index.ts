export { default as GradeControl } from './grade-control.svelte';
export { humanGrade, withGrade, graderName, SCORES, SCORE_MEANING } from './grading.ts';
