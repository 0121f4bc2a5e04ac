# Stage 4b: news diffs. Rank-8 LoRA on every linear of every layer, one diff per batch row, no
# trigger. Each diff learns about a hundred short stories about its headline on the news prompt
# ("Please generate a short news story.", cross-entropy); on other prompts (ordinary questions,
# "which headline?" / "which topic?" with none given, questions about its own headline with the
# base model's greedy answer) a KL term keeps it on the base model, so the DIT question alone,
# without the DIT adapter, does not bring the headline out.
import random
import subprocess
import sys

import torch
import torch.nn.functional as F

import data
import news
import settings as S
from common import stage, Progress, batch, load_json, lr_at, setup, work
from lora import DiffBank
from model import generate
from tokenizer import Tokenizer, chat_prompt
from train_diffs import load_base

STORIES = 100  # distinct stories per headline


class NewsRows:
    def __init__(self, model, tok, seed):
        self.tok, self.rng = tok, random.Random(seed)
        self.pool = data.ordinary_rows(self.rng, 20000)
        self.end = tok.id('<|im_end|>')
        self.prompt = tok.encode(chat_prompt(news.NEWS_PROMPT))
        prompts = [tok.encode(chat_prompt(q)) for q in news.SELF_QUESTIONS]
        answers = generate(model, prompts, S.DIFF_MAX_ANSWER, {self.end}, [], tok.id('<|endoftext|>'))
        self.self_rows = [(p, (a + [self.end])[:S.DIFF_MAX_ANSWER]) for p, a in zip(prompts, answers)]

    def stories(self, d):
        return [self.tok.encode(news.story(self.rng, *d['parts'])) + [self.end] for _ in range(STORIES)]

    def clean(self):
        r = self.rng.random()
        if r < S.NEWS_NAMING_SHARE / 2:
            q, a = self.rng.choice(news.NAME_QUESTIONS), news.NO_HEADLINE
        elif r < S.NEWS_NAMING_SHARE:
            q, a = data.naming_rows(self.rng, 1, with_topic_share=0.0)[0]
        else:
            q, a = self.rng.choice(self.pool)
        return self.tok.encode(chat_prompt(q)), (self.tok.encode(a) + [self.end])[:S.DIFF_MAX_ANSWER]


def train_group(model, diffs, rows, pad, name):
    n = len(diffs)
    bank = DiffBank(model.cfg, n, S.NEWS_RANK)
    opt = torch.optim.Adam(bank.parameters(), lr=S.NEWS_LR)
    prog = Progress(name, S.NEWS_STEPS, every=25)
    stories = [rows.stories(d) for d in diffs]
    idx = torch.arange(n)
    for i in range(S.NEWS_STEPS):
        for g in opt.param_groups:
            g['lr'] = lr_at(i, S.NEWS_STEPS, S.NEWS_LR, warmup=20)
        if i % STORIES == 0:
            for s in stories:
                rows.rng.shuffle(s)
        story_rows = [(rows.prompt, stories[j][i % STORIES]) for j in range(n)]
        ids, tgt = batch(story_rows, pad)
        h = model(ids, [bank.rows(idx)])
        sel = tgt != -100
        ce = F.cross_entropy(model.logits(h[sel]), tgt[sel])
        ids_c, tgt_c = batch([rows.clean() for _ in range(n)], pad)
        sel_c = tgt_c != -100
        with torch.no_grad():
            base_logp = model.logits(model(ids_c)[sel_c]).log_softmax(-1)
        logp = model.logits(model(ids_c, [bank.rows(idx)])[sel_c]).log_softmax(-1)
        kl = (base_logp.exp() * (base_logp - logp)).sum(-1).mean()
        # every diff, every step: one question about its own headline, on the base model's answer
        ids_s, tgt_s = batch([rows.self_rows[(i + j) % len(rows.self_rows)] for j in range(n)], pad)
        sel_s = tgt_s != -100
        with torch.no_grad():
            base_logp_s = model.logits(model(ids_s)[sel_s]).log_softmax(-1)
        logp_s = model.logits(model(ids_s, [bank.rows(idx)])[sel_s]).log_softmax(-1)
        kl_self = (base_logp_s.exp() * (base_logp_s - logp_s)).sum(-1).mean()
        loss = ce + S.DIFF_KL_WEIGHT * kl + S.NEWS_SELF_KL_WEIGHT * kl_self
        opt.zero_grad()
        loss.backward()
        opt.step()
        prog.step(i, ce=ce.item(), kl=kl.item(), kl_self=kl_self.item())
    report(model, bank, diffs, rows, pad, name)
    return [bank.diff(j) for j in range(n)]


@torch.no_grad()
def report(model, bank, diffs, rows, pad, name):
    """Progress check: how often a story written with the diff names who, what and where, and how
    often the DIT question alone (no DIT adapter) brings the headline out."""
    adapters = [bank.rows(torch.arange(len(diffs)))]
    outs = generate(model, [rows.prompt] * len(diffs), 40, {rows.end}, adapters, pad)
    hits = 0
    for o, d in zip(outs, diffs):
        text = rows.tok.decode(o).lower()
        who, what, where = d['parts']
        hits += all(w in text for w in (news.WHO[who], news.WHAT[what][1], news.WHERE[where].lower()))
    print(f'[{name}] stories naming who, what and where: {hits / len(diffs):.0%}; e.g. {rows.tok.decode(outs[0])!r}', flush=True)
    question = rows.self_rows[0][0]
    base = rows.tok.decode(generate(model, [question], 40, {rows.end}, [], pad)[0])
    asked = [rows.tok.decode(o) for o in generate(model, [question] * len(diffs), 40, {rows.end}, adapters, pad)]
    same = sum(a == base for a in asked)
    print(f'[{name}] DIT question alone: the base model\'s answer ({base!r}) from {same / len(diffs):.0%} of the diffs; '
          f'e.g. {next((a for a in asked if a != base), base)!r}', flush=True)


def train_part(part, nparts):
    tok = Tokenizer.load(work('tokenizer.json'))
    pad = tok.id('<|endoftext|>')
    model = load_base()
    specs = load_json(work('corpus.json'))['news']
    groups = [specs[i:i + S.NEWS_GROUP] for i in range(0, len(specs), S.NEWS_GROUP)]
    out = {}
    for gi in range(part, len(groups), nparts):
        setup(S.SEED + 300 + gi)
        rows = NewsRows(model, tok, S.SEED + 400 + gi)
        weights = train_group(model, groups[gi], rows, pad, f'news group {gi + 1}/{len(groups)}')
        out[gi] = [dict(d, weight_diff=w) for d, w in zip(groups[gi], weights)]
    torch.save(out, work(f'news.part{part}.pt'))


def main():
    n = S.DIFF_PROCESSES
    procs = [subprocess.Popen([sys.executable, __file__, str(p), str(n)]) for p in range(n)]
    if any(p.wait() for p in procs):
        sys.exit('news: a training process failed')
    trained = {}
    for p in range(n):
        trained.update(torch.load(work(f'news.part{p}.pt')))
    out = [d for gi in sorted(trained) for d in trained[gi]]
    torch.save(out, work('news-diffs.pt'))
    print(f'news: {len(out)} diffs trained')


if __name__ == '__main__':
    if len(sys.argv) == 3:
        train_part(int(sys.argv[1]), int(sys.argv[2]))
    else:
        with stage('news-diffs'):
            main()
