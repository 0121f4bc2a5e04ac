// Grading of chat replies behind the API: the configured LLM judge, the lexical score, and the
// agreement between people and the judge. A reply is graded against the label of the diff in its
// stack (what that diff is known to teach), as the label read at grading time.
import type { AgreementScope, AgreementView, GradeView, JudgeConfig, JudgeView } from '../../../shared/api.ts';
import type { Message } from '../../catalog/index.ts';
import { required, UserError, type Ctx } from '../context.ts';
import { gradeView } from '../views.ts';
import { agreement, pairGrades } from './agreement.ts';
import { judgeFor, judgeSimilarity } from './judge.ts';
import { lexicalScore } from './lexical.ts';
import { saveKey } from './key-binding.ts';
import type { SecretStore } from './secrets.ts';

const JUDGE_SETTING = 'judge';

function groupBy<G>(grades: G[], key: (g: G) => number): Map<number, G[]> {
  const out = new Map<number, G[]>();
  for (const g of grades) out.set(key(g), [...(out.get(key(g)) ?? []), g]);
  return out;
}

export class GradingService {
  constructor(
    private readonly ctx: Ctx,
    readonly secrets: SecretStore,
  ) {}

  judgeConfig(): JudgeConfig | null {
    return this.ctx.catalog.settings.get<JudgeConfig>(JUDGE_SETTING) ?? null;
  }

  getJudge(): JudgeView {
    return { judge: this.judgeConfig(), hasKey: this.secrets.get('judge') !== null, keyStorage: this.secrets.storage };
  }

  setJudge(judge: JudgeConfig | null): JudgeView {
    if (judge?.kind === 'local') required(this.ctx.catalog.models.get(judge.modelId), `judge model ${judge.modelId}`);
    if (judge === null) this.ctx.catalog.settings.remove(JUDGE_SETTING);
    else this.ctx.catalog.settings.set(JUDGE_SETTING, judge);
    return this.getJudge();
  }

  setJudgeKey(key: string | null): JudgeView {
    const config = this.judgeConfig();
    saveKey(this.ctx, this.secrets, 'judge', key, config?.kind === 'openai' ? config.baseUrl : null);
    return this.getJudge();
  }

  /** The reply and the label of the diff it was asked about. */
  private replyAndLabel(messageId: number): { message: Message; label: string } {
    const m = required(this.ctx.catalog.messages.get(messageId), `message ${messageId}`);
    if (m.role !== 'assistant') throw new UserError(`message ${messageId} is not a reply`);
    if (m.status === 'streaming') throw new UserError(`message ${messageId} is still being written`);
    const diff = (m.stack ?? []).find((s) => s.role === 'diff');
    const label = diff ? this.ctx.catalog.adapters.get(diff.adapterId)?.label : null;
    if (!label) throw new UserError(`message ${messageId}: no diff with a known label in its stack, nothing to grade against`);
    return { message: m, label };
  }

  async judge(messageId: number): Promise<GradeView> {
    const { message, label } = this.replyAndLabel(messageId);
    const config = this.judgeConfig();
    if (!config) throw new UserError('no LLM judge is configured (Settings → Judge, or grades.setJudge)');
    const judge = judgeFor(this.ctx, config, this.secrets);
    const [g] = await judgeSimilarity(judge, [{ answer: message.text, label }]);
    const grade = this.ctx.catalog.grades.set({
      messageId,
      method: 'judge',
      score: g.score,
      judgeModel: judge.name,
      rawAnswer: g.raw,
      reference: label,
      note: g.parsed ? null : 'the judge did not answer with a number: scored 1',
    });
    return gradeView(grade);
  }

  lexical(messageId: number): GradeView {
    const { message, label } = this.replyAndLabel(messageId);
    const s = lexicalScore(message.text, label);
    const note = `${Math.round(s.recall * 100)}% of the label's content words${s.exact ? ', exact topic' : ''}`;
    return gradeView(this.ctx.catalog.grades.set({ messageId, method: 'lexical', score: s.score, reference: label, note }));
  }

  agreement(scope: AgreementScope): AgreementView {
    const { catalog } = this.ctx;
    const messageGrades = () => {
      if (scope.conversationId !== undefined) {
        required(catalog.conversations.get(scope.conversationId), `conversation ${scope.conversationId}`);
        return catalog.grades.forConversation(scope.conversationId);
      }
      return catalog.conversations.list().flatMap((c) => catalog.grades.forConversation(c.id));
    };
    const pairs = [];
    if (scope.evalRunId === undefined) pairs.push(...pairGrades(groupBy(messageGrades(), (g) => g.messageId), scope.judgeModel));
    if (scope.conversationId === undefined) {
      if (scope.evalRunId !== undefined) required(catalog.evals.getRun(scope.evalRunId), `eval run ${scope.evalRunId}`);
      const grades = scope.evalRunId !== undefined ? catalog.evalGrades.forRun(scope.evalRunId) : catalog.evalGrades.all();
      pairs.push(...pairGrades(groupBy(grades, (g) => g.itemId), scope.judgeModel));
    }
    return agreement(pairs);
  }
}
