export { default as CompareView } from './compare-view.svelte';
export { CompareState, type Column } from './compare.svelte.ts';
export { compareConditions, type Condition } from './conditions.ts';
export { compareTitle, groupConversations, nextCompareNumber, type ConversationEntry } from './compare-titles.ts';
