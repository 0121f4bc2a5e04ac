export { default as ChatView } from './chat-view.svelte';
export { default as ReplyBody } from './reply-body.svelte';
export { ChatState } from './chat.svelte.ts';
export { presets, samplingForQuestion, triggerPrefix, NEWS_QUESTION, TOPIC_QUESTION } from './presets.ts';
export { stackSummary, type StackDraft } from './stack.ts';
