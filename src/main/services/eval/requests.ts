// The `evals` domain of the API over the eval service (kept beside it so backend.ts stays a list).
import type { DiffscopeRequests, JudgeConfig } from '../../../shared/api.ts';
import type { DemoReports } from './demo-report.ts';
import type { EvalService } from './service.ts';

export function evalRequests(evals: EvalService, demoReports: DemoReports, judge: () => JudgeConfig | null): DiffscopeRequests['evals'] {
  return {
    start: async (request) => evals.start(request),
    list: async () => evals.list(),
    get: async (id) => evals.get(id),
    progress: async (id) => evals.progress(id),
    cancel: (id) => evals.cancel(id),
    resume: async (id) => evals.resume(id),
    results: async (id) => evals.results(id),
    items: async (id, filter) => evals.items(id, filter),
    gradeItem: async (itemId, score, note) => evals.gradeItem(itemId, score, note),
    remove: (id) => evals.remove(id),
    setEngineKey: async (key) => evals.setEngineKey(key),
    setAgentKey: async (key) => evals.setAgentKey(key),
    demoReport: async () => demoReports.report(),
    runDemoReport: async () => demoReports.start(judge()),
  };
}
