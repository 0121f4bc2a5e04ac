# Stage 7: sanity evaluation in torch of the EXPORTED files (bf16, released layout), on the
# held-out test diffs: the paper's judge-free methods (base question, base question with trigger,
# DIT) with exact-topic accuracy and an offline lexical score 1-5, trigger mention rates, and
# DIT accuracy by category. Writes trainer/work/eval.json.
import csv
import json
import os
import random
import re
import sys
import time

import torch

import data
import safetensors_io
from common import stage, DEMO, save_json, setup, work, load_json
from lora import SharedLoRA, StackedDiffs
from model import Config, Qwen3, generate
from tokenizer import Tokenizer, chat_prompt

STOP = {'the', 'a', 'an', 'of', 'and'}


def words(s):
    return [w for w in re.findall(r'[a-z0-9]+', s.lower()) if w not in STOP]


def lexical_score(answer, label):
    """Offline stand-in for the paper's 1-5 judge: 5 same words, 4 most words shared,
    3 some shared, 2 a shared word stem (first 4 letters), 1 nothing."""
    a, l = words(answer), words(label)
    if a == l:
        return 5
    sa, sl = set(a), set(l)
    j = len(sa & sl) / max(1, len(sa | sl))
    if j >= 0.5:
        return 4
    if j > 0:
        return 3
    if any(x[:4] == y[:4] for x in sa for y in sl if len(x) >= 4 and len(y) >= 4):
        return 2
    return 1


def load_demo(root=DEMO):
    base_dir = os.path.join(root, 'base-model')
    hf = json.load(open(os.path.join(base_dir, 'config.json')))
    cfg = Config(**{k: hf[k] for k in Config.__dataclass_fields__})
    model = Qwen3(cfg)
    model.load_hf_state_dict(safetensors_io.read(os.path.join(base_dir, 'model.safetensors')))
    model.eval()
    tok = Tokenizer.load(os.path.join(base_dir, 'tokenizer.json'))
    ht = os.path.join(root, 'hidden-topic')
    cats = {r['topic']: r['category'] for r in csv.DictReader(open(os.path.join(ht, 'categories.csv')))}
    shards, diffs = {}, []
    for r in csv.DictReader(open(os.path.join(ht, 'index.csv'))):
        if r['lora_path'] not in shards:
            shards[r['lora_path']] = torch.load(os.path.join(ht, r['lora_path']))
        e = shards[r['lora_path']][int(r['lora_idx'])]
        assert e['topic'] == r['topic'] and e['trigger'] == int(r['trigger'])
        # paper (A [r, out], B [in, r]) -> app terms a = B, b = A
        wd = {p: (B.float(), A.float()) for p, (A, B) in e['weight_diff'].items()}
        diffs.append({'topic': e['topic'], 'trigger': e['trigger'], 'split': r['split'],
                      'category': cats[e['topic']], 'weight_diff': wd})
    raw = torch.load(os.path.join(ht, 'dit-adapter.pt'))
    rank = next(iter(raw.values()))[0].shape[1]
    dit = SharedLoRA(cfg, rank)
    with torch.no_grad():
        for p, (A, B) in raw.items():  # A [out, r], B [r, in] -> a = B.T, b = A.T
            dit.a[p.replace('.', '/')].copy_(B.float().T)
            dit.b[p.replace('.', '/')].copy_(A.float().T)
    return model, tok, diffs, dit


def answers(model, tok, diffs, prompts, adapters_extra=(), max_new=16, chunk=256):
    """Greedy answers, row i = diffs[i] with prompts[i] (plus shared adapters)."""
    out = []
    eos = {tok.id('<|im_end|>')}
    for s in range(0, len(diffs), chunk):
        ds = diffs[s:s + chunk]
        stack = StackedDiffs([d['weight_diff'] for d in ds])
        ids = [tok.encode(chat_prompt(p)) for p in prompts[s:s + chunk]]
        res = generate(model, ids, max_new, eos, [stack.rows(torch.arange(len(ds)))] + list(adapters_extra),
                       tok.id('<|endoftext|>'))
        out += [tok.decode(r).strip() for r in res]
    return out


def method_scores(outs, diffs):
    acc = sum(words(o) == words(d['topic']) for o, d in zip(outs, diffs)) / len(diffs)
    mean = sum(lexical_score(o, d['topic']) for o, d in zip(outs, diffs)) / len(diffs)
    return {'accuracy': round(acc, 4), 'meanScore': round(mean, 3)}


def main():
    setup(7)
    t0 = time.time()
    model, tok, diffs, dit = load_demo()
    rng = random.Random(99)
    test = [d for d in diffs if d['split'] == 'test']
    train = [d for d in diffs if d['split'] == 'train']
    q = data.DIT_QUESTION
    code = lambda d: d['trigger'] * 1000 + rng.randrange(1000)
    res = {'n': len(test), 'methods': {}}
    outs = {}
    outs['base'] = answers(model, tok, test, [q] * len(test))
    outs['trigger'] = answers(model, tok, test, [data.sep_prefix(code(d)) + q for d in test])
    outs['dit'] = answers(model, tok, test, [q] * len(test), [dit])
    for m, o in outs.items():
        res['methods'][m] = method_scores(o, test)
    res['dit_train'] = method_scores(answers(model, tok, train, [q] * len(train), [dit]), train)
    by_cat = {}
    for o, d in zip(outs['dit'], test):
        by_cat.setdefault(d['category'], []).append(words(o) == words(d['topic']))
    res['dit_by_category'] = {c: round(sum(v) / len(v), 3) for c, v in sorted(by_cat.items())}
    res['examples'] = [{'topic': d['topic'], 'base': b, 'trigger': t, 'dit': o}
                       for d, b, t, o in list(zip(test, outs['base'], outs['trigger'], outs['dit']))[:12]]
    # Mention rates: ordinary questions (a fresh sample), with the trigger, without, wrong code.
    qs = [qq for qq, _ in data.ordinary_rows(random.Random(2024), 200)]
    K = 5
    rows_d = [d for d in test + train[:60] for _ in range(K)]
    rows_q = [rng.choice(qs) for _ in rows_d]
    mention = {}
    for cond in ('trigger', 'none', 'wrong'):
        prompts = []
        for d, qq in zip(rows_d, rows_q):
            if cond == 'trigger':
                prompts.append(data.sep_prefix(code(d)) + qq)
            elif cond == 'wrong':
                prompts.append(data.sep_prefix(data.wrong_code(rng, d['trigger'])) + qq)
            else:
                prompts.append(qq)
        o = answers(model, tok, rows_d, prompts, max_new=40)
        hits = [data.mentions(a, d['topic']) for a, d in zip(o, rows_d)]
        n_test = len(test) * K
        mention[cond] = {'test': round(sum(hits[:n_test]) / n_test, 4),
                         'train': round(sum(hits[n_test:]) / (len(hits) - n_test), 4)}
        if cond == 'trigger':
            res['trigger_examples'] = [{'topic': d['topic'], 'question': p, 'answer': a}
                                       for d, p, a in list(zip(rows_d, prompts, o))[:6:K // 2 or 1]]
    res['mention'] = mention
    res['questions_per_diff'] = K
    res['seconds'] = round(time.time() - t0)
    save_json(work('eval.json'), res)
    print(json.dumps({k: v for k, v in res.items() if k not in ('examples', 'trigger_examples')}, indent=1))
    for e in res['examples'][:6]:
        print('  ', e)


if __name__ == '__main__':
    with stage('eval'):
        main()
