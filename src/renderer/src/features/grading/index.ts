export { default as GradeControl } from './grade-control.svelte';
export { default as GradeList } from './grade-list.svelte';
export { default as ScoreRadios } from './score-radios.svelte';
export { default as ScoreScale } from './score-scale.svelte';
export { default as AgreementTable } from './agreement-table.svelte';
export { JudgeState } from './judge.svelte.ts';
export { gradable, humanGrade, withGrade, withMessageGrade, graderName, judgeName, percent, SCORES, SCORE_MEANING } from './grading.ts';
