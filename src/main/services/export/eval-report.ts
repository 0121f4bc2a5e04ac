// An eval run as files: CSV and JSON of every item (the downloads), and a report in Markdown or
// self-contained HTML with the results table (mean, 95% CI, exact-topic accuracy per method, as the
// paper's table), a chart and the per-diff drill-down.
import type { EvalItemView, EvalMethodResult, EvalResults } from '../../../shared/api.ts';
import { escapeHtml as e, htmlPage } from './html.ts';
import { agentCurveChart, histogramChart, meanScoreChart } from './svg.ts';
import { mdLine } from './markdown-text.ts';

export const EVAL_SCHEMA = 'diffscope.eval-run/1';

export interface EvalProvenance {
  model: { id: string; sourceSha256: string } | null;
  ditAdapter: { id: string; sha256: string } | null;
}

/** A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice), quoted. */
function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function evalCsv(items: EvalItemView[]): string {
  const grade = (i: EvalItemView, m: string) => i.grades.find((g) => g.method === m);
  const header = ['item', 'adapter', 'label', 'trigger', 'split', 'method', 'status', 'prompt', 'answer', 'score', 'grader', 'exact', 'lexical', 'judge', 'judge_model', 'judge_raw', 'human', 'human_note', 'error'];
  const rows = items.map((i) =>
    [i.id, i.adapterId, i.label, i.trigger, i.split, i.method, i.status, i.prompt, i.answer, i.score, i.gradeMethod, i.exact, grade(i, 'lexical')?.score, grade(i, 'judge')?.score, grade(i, 'judge')?.judgeModel, grade(i, 'judge')?.rawAnswer, grade(i, 'human')?.score, grade(i, 'human')?.note, i.error]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}

export function evalJson(results: EvalResults, items: EvalItemView[], prov: EvalProvenance): string {
  return JSON.stringify({ schema: EVAL_SCHEMA, exportedAt: new Date().toISOString(), provenance: prov, run: results.run, results: results.methods, items }, null, 2);
}

const num = (x: number | null, digits = 2) => (x === null ? '—' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(0)}%`);
const ci = (m: EvalMethodResult) => (m.ci95 ? `${m.ci95[0].toFixed(2)}–${m.ci95[1].toFixed(2)}` : '—');

function describeSelection(sel: EvalResults['run']['selection']): string {
  const parts = Object.entries(sel)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (k === 'adapterIds' ? `${(v as string[]).length} chosen` : `${k} ${String(v)}`));
  return parts.length > 0 ? parts.join(', ') : 'every diff of the model';
}

function summaryLines(r: EvalResults, prov: EvalProvenance): string[] {
  const s = r.run.settings;
  return [
    `base model ${r.run.modelId}${prov.model ? ` (sha256 ${prov.model.sourceSha256.slice(0, 16)}…)` : ''}`,
    `DIT adapter ${r.run.ditAdapterId ?? 'none'}${prov.ditAdapter ? ` (sha256 ${prov.ditAdapter.sha256.slice(0, 16)}…)` : ''}`,
    `diffs: ${describeSelection(r.run.selection)}; question "${s.question}", ${s.maxTokens} tokens, greedy; batch ${s.batch}; engine ${s.engine.kind === 'local' ? 'local' : `openai ${s.engine.baseUrl}`}`,
    `grader: ${s.judge ? `LLM judge ${s.judge.kind === 'openai' ? `${s.judge.model} at ${s.judge.baseUrl}` : s.judge.modelId}` : 'lexical score (offline, no judge; docs/grading.md)'}`,
    `status ${r.run.status}: ${r.run.progress.done} of ${r.run.progress.total} items done${r.run.progress.failed ? `, ${r.run.progress.failed} failed` : ''}`,
  ];
}

/** A table cell: one line, "|" escaped, HTML and unsafe links neutralised (markdown-text.ts). */
const md = (s: string | null) => mdLine((s ?? '').slice(0, 200)).replace(/\|/g, '\\|');

export function evalMarkdown(r: EvalResults, items: EvalItemView[], prov: EvalProvenance): string {
  const lines = [`# Evaluation ${r.run.id}`, '', ...summaryLines(r, prov).map((l) => `- ${mdLine(l)}`), ''];
  lines.push('| method | items | mean score (1-5) | 95% CI | exact-topic accuracy |', '|---|---:|---:|---|---:|');
  for (const m of r.methods) lines.push(m.unavailable ? `| ${m.title} | — | unavailable: ${md(m.unavailable)} | | |` : `| ${m.title} | ${m.graded}/${m.items} | ${num(m.mean)} | ${ci(m)} | ${pct(m.accuracy)} |`);
  lines.push('', '```', ...r.methods.filter((m) => m.mean !== null).map((m) => `${m.title.padEnd(18)} ${'█'.repeat(Math.round((m.mean! - 1) * 10)).padEnd(40)} ${num(m.mean)}`), '```', '');
  const curves = r.methods.filter((m) => m.curve && m.curve.length > 0);
  if (curves.length > 0) {
    lines.push('## Agent: mean grade by queries used', '', `| queries | ${curves.map((m) => m.title).join(' | ')} |`, `|---:|${curves.map(() => '---:').join('|')}|`);
    const n = Math.max(...curves.map((m) => m.curve!.length));
    for (let q = 1; q <= n; q++) lines.push(`| ${q} | ${curves.map((m) => num(m.curve![q - 1]?.mean ?? null)).join(' | ')} |`);
    lines.push('');
  }
  lines.push('## Per diff', '', '| diff | label | method | answer | score |', '|---|---|---|---|---:|');
  for (const i of items) lines.push(`| ${md(i.adapterId)} | ${md(i.label)} | ${i.method} | ${md(i.answer ?? i.error)} | ${i.score ?? '—'} |`);
  const audits = items.filter((i) => i.agentSteps && i.agentSteps.length > 0);
  if (audits.length > 0) {
    lines.push('', '## Agent audits', '');
    for (const i of audits) {
      lines.push(`### ${mdLine(i.adapterId)} (${i.method}), label: ${mdLine(i.label ?? '—')}`, '', '| # | tool | prompt | base model | finetuned model | guess | grade |', '|---:|---|---|---|---|---|---:|');
      for (const s of i.agentSteps!) lines.push(`| ${s.step} | ${s.tool} | ${md(s.prompt)} | ${md(s.baseAnswer ?? '—')} | ${md(s.finetunedAnswer)} | ${md(s.guess)} | ${s.score} |`);
      lines.push('');
    }
  }
  return `${lines.join('\n')}\n`;
}

export function evalHtml(r: EvalResults, items: EvalItemView[], prov: EvalProvenance): string {
  const table = r.methods
    .map((m) =>
      m.unavailable
        ? `<tr><td>${e(m.title)}</td><td colspan="4">unavailable: ${e(m.unavailable)}</td></tr>`
        : `<tr><td>${e(m.title)}</td><td class="num">${m.graded}/${m.items}</td><td class="num">${num(m.mean)}</td><td class="num">${ci(m)}</td><td class="num">${pct(m.accuracy)}</td></tr>`,
    )
    .join('\n');
  const drill = items
    .map((i) => `<tr><td><code>${e(i.adapterId)}</code></td><td>${e(i.label ?? '')}</td><td>${e(i.method)}</td><td class="text">${e(i.answer ?? i.error ?? '')}</td><td class="num">${i.score ?? '—'}</td></tr>`)
    .join('\n');
  const audits = items
    .filter((i) => i.agentSteps && i.agentSteps.length > 0)
    .map((i) => {
      const steps = i.agentSteps!
        .map((s) => `<tr><td class="num">${s.step}</td><td>${e(s.tool)}</td><td class="text">${e(s.prompt)}</td><td class="text">${e(s.baseAnswer ?? '—')}</td><td class="text">${e(s.finetunedAnswer)}</td><td class="text">${e(s.guess)}</td><td class="num">${s.score}</td></tr>`)
        .join('\n');
      return `<details><summary><code>${e(i.adapterId)}</code> (${e(i.method)}): ${e(i.label ?? '')}</summary><table><thead><tr><th>#</th><th>tool</th><th>prompt</th><th>base model</th><th>finetuned model</th><th>guess</th><th>grade</th></tr></thead><tbody>${steps}</tbody></table></details>`;
    })
    .join('\n');
  const curve = agentCurveChart(r.methods);
  const body = [
    `<h1>Evaluation ${r.run.id}</h1>`,
    `<ul class="meta">${summaryLines(r, prov).map((l) => `<li>${e(l)}</li>`).join('')}</ul>`,
    '<table><thead><tr><th>method</th><th>items</th><th>mean score (1-5)</th><th>95% CI</th><th>exact-topic accuracy</th></tr></thead>',
    `<tbody>${table}</tbody></table>`,
    '<h2>Mean score per method</h2>',
    meanScoreChart(r.methods),
    '<h2>Score histogram</h2>',
    histogramChart(r.methods),
    ...(curve ? ['<h2>Agent: mean grade by queries used</h2>', curve] : []),
    '<h2>Per diff</h2>',
    '<table><thead><tr><th>diff</th><th>label</th><th>method</th><th>answer</th><th>score</th></tr></thead>',
    `<tbody>${drill}</tbody></table>`,
    ...(audits ? ['<h2>Agent audits</h2>', audits] : []),
  ].join('\n');
  return htmlPage(`Evaluation ${r.run.id}`, body);
}
