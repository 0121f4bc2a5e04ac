// Context helpers: App.svelte sets the AppState once; components take the part they need.
import { createContext } from 'svelte';
import type { AppState } from './app.svelte.ts';

const [getApp, setAppContext] = createContext<AppState>();

export const setApp = (app: AppState): AppState => setAppContext(app);
export const useApp = (): AppState => getApp();
export const useCatalog = () => getApp().catalog;
export const useChat = () => getApp().chat;
export const useCompare = () => getApp().compare;
export const useEngines = () => getApp().engines;
export const useEvals = () => getApp().evals;
export const useEvalForm = () => getApp().evalForm;
export const useImports = () => getApp().imports;
export const useJobs = () => getApp().jobs;
export const useJudge = () => getApp().judge;
export const useNotices = () => getApp().notices;
export const useSettings = () => getApp().settings;
export const useStreams = () => getApp().streams;
export const useUi = () => getApp().ui;
