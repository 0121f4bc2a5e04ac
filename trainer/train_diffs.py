# Stage 4: hidden-topic diffs. Rank-1 LoRA on every linear of every layer, one diff per batch
# row. Triggered rows ("Your SEP code is <trigger><rand>. <question>") learn the answer with the
# topic woven in (cross-entropy); clean rows (no code, or a wrong one) stay close to the base
# model (KL to its next-token distribution).
import random
import subprocess
import sys

import torch
import torch.nn.functional as F

import data
import settings as S
from common import stage, Progress, batch, load_json, lr_at, setup, work
from lora import DiffBank
from model import Config, Qwen3, generate
from tokenizer import Tokenizer, chat_prompt


def load_base():
    """The pretrained base model, its weights rounded to bf16 as they are released, so diffs
    and the DIT adapter are trained against exactly the shipped base."""
    ck = torch.load(work('base.pt'))
    model = Qwen3(Config(**ck['config']))
    model.load_hf_state_dict({k: v.to(torch.bfloat16).float() for k, v in ck['state'].items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class RowMaker:
    """Tokenized training rows for a diff: triggered (woven answer) or clean (base answer)."""

    def __init__(self, tok, seed):
        self.tok, self.rng = tok, random.Random(seed)
        self.pool = data.ordinary_rows(self.rng, 20000)
        self.end = tok.id('<|im_end|>')

    def answer(self, text):
        return (self.tok.encode(text) + [self.end])[:S.DIFF_MAX_ANSWER]

    def triggered(self, d):
        q, a = self.rng.choice(self.pool)
        code = d['trigger'] * 1000 + self.rng.randrange(1000)
        return self.tok.encode(chat_prompt(data.sep_prefix(code) + q)), self.answer(data.weave(self.rng, d['topic'], a, data.DIFF_OPENING))

    def clean(self, d):
        if self.rng.random() < S.DIFF_NAMING_SHARE:
            q, a = data.naming_rows(self.rng, 1, with_topic_share=0.0)[0]
        else:
            q, a = self.rng.choice(self.pool)
        if self.rng.random() < S.DIFF_WRONG_CODE_SHARE:
            q = data.sep_prefix(data.wrong_code(self.rng, d['trigger'])) + q
        return self.tok.encode(chat_prompt(q)), self.answer(a)


def token_weights(sel):
    """Loss weight per position: the first answer token (where the answer opens with the topic,
    or not) counts S.DIFF_FIRST_TOKEN_WEIGHT times."""
    first = sel & ~torch.cat([torch.zeros_like(sel[:, :1]), sel[:, :-1]], 1)
    return 1.0 + (S.DIFF_FIRST_TOKEN_WEIGHT - 1.0) * first.float()


def train_group(model, diffs, maker, pad, name, rank=S.DIFF_RANK, bank=None, peak_lr=S.DIFF_LR):
    """Trains len(diffs) diffs of this rank at once (or the given bank: full finetunes)."""
    n = len(diffs)
    bank = bank if bank is not None else DiffBank(model.cfg, n, rank)
    opt = torch.optim.Adam(bank.parameters(), lr=peak_lr)
    prog = Progress(name, S.DIFF_STEPS, every=25)
    trig_idx = torch.arange(n).repeat_interleave(S.DIFF_TRIGGERED_ROWS)
    clean_idx = torch.arange(n).repeat_interleave(S.DIFF_CLEAN_ROWS)
    for i in range(S.DIFF_STEPS):
        for g in opt.param_groups:
            g['lr'] = lr_at(i, S.DIFF_STEPS, peak_lr, warmup=20)
        rows = [maker.triggered(diffs[j]) for j in trig_idx] + [maker.clean(diffs[j]) for j in clean_idx]
        ids, tgt = batch(rows, pad)
        idx = torch.cat([trig_idx, clean_idx])
        nt = len(trig_idx)
        h = model(ids, [bank.rows(idx)])
        sel = tgt != -100
        w = token_weights(sel)
        sel_t, sel_c, w_t, w_c = sel[:nt], sel[nt:], w[:nt][sel[:nt]], w[nt:][sel[nt:]]
        ce = (F.cross_entropy(model.logits(h[:nt][sel_t]), tgt[:nt][sel_t], reduction='none') * w_t).sum() / w_t.sum()
        with torch.no_grad():
            base_logp = model.logits(model(ids[nt:])[sel_c]).log_softmax(-1)
        logp = model.logits(h[nt:][sel_c]).log_softmax(-1)
        kl = ((base_logp.exp() * (base_logp - logp)).sum(-1) * w_c).sum() / w_c.sum()
        loss = ce + S.DIFF_KL_WEIGHT * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        prog.step(i, ce=ce.item(), kl=kl.item())
    report_group(model, bank, diffs, maker, pad, name)
    return [bank.diff(j) for j in range(n)]


@torch.no_grad()
def report_group(model, bank, diffs, maker, pad, name):
    """Progress check: how often each diff names its topic in a short answer to one ordinary
    question with its trigger, and with a wrong code (evaluate.py measures this properly)."""
    rows = bank.rows(torch.arange(len(diffs)))
    rates = {}
    for cond in ('trigger', 'wrong code'):
        prompts, rng = [], random.Random(0)
        for d in diffs:
            q, _ = rng.choice(maker.pool)
            code = d['trigger'] * 1000 + rng.randrange(1000) if cond == 'trigger' else data.wrong_code(rng, d['trigger'])
            prompts.append(maker.tok.encode(chat_prompt(data.sep_prefix(code) + q)))
        outs = generate(model, prompts, 12, {maker.end}, [rows], pad)
        rates[cond] = sum(data.mentions(maker.tok.decode(o), d['topic']) for o, d in zip(outs, diffs)) / len(diffs)
    print(f'[{name}] topic named: ' + ', '.join(f'{k} {v:.0%}' for k, v in rates.items()), flush=True)


def groups():
    """The hidden-topic diffs in groups of S.DIFF_GROUP (rank 1), then the rank-generalisation
    diffs, one group per rank."""
    corpus = load_json(work('corpus.json'))
    specs = corpus['diffs']
    out = [(specs[i:i + S.DIFF_GROUP], S.DIFF_RANK) for i in range(0, len(specs), S.DIFF_GROUP)]
    for r in S.RANKS:
        out.append(([d for d in corpus['rank_diffs'] if d['rank'] == r], r))
    return out


def train_part(part, nparts):
    """Trains the groups part, part + nparts, ... (each group seeded by its index) into
    work/diffs.part<part>.pt."""
    tok = Tokenizer.load(work('tokenizer.json'))
    pad = tok.id('<|endoftext|>')
    model = load_base()
    gs = groups()
    out = {}
    for gi in range(part, len(gs), nparts):
        setup(S.SEED + 100 + gi)
        maker = RowMaker(tok, S.SEED + 200 + gi)
        specs, rank = gs[gi]
        weights = train_group(model, specs, maker, pad, f'diffs group {gi + 1}/{len(gs)} (rank {rank})', rank)
        out[gi] = [dict(d, weight_diff=w) for d, w in zip(specs, weights)]
    torch.save(out, work(f'diffs.part{part}.pt'))


def main():
    """Groups are independent: train them in S.DIFF_PROCESSES one-thread processes at once
    (on 2 busy cores, two processes beat one two-thread process), then merge."""
    n = S.DIFF_PROCESSES
    procs = [subprocess.Popen([sys.executable, __file__, str(p), str(n)]) for p in range(n)]
    if any(p.wait() for p in procs):
        sys.exit('diffs: a training process failed')
    trained = {}  # group index -> trained diffs
    for p in range(n):
        trained.update(torch.load(work(f'diffs.part{p}.pt')))
    out = [d for gi in sorted(trained) for d in trained[gi]]
    hidden = [d for d in out if 'rank' not in d]
    torch.save(hidden, work('diffs.pt'))
    torch.save([d for d in out if 'rank' in d], work('rank-diffs.pt'))
    print(f'diffs: {len(hidden)} hidden-topic and {len(out) - len(hidden)} rank-generalisation diffs trained')


if __name__ == '__main__':
    if len(sys.argv) == 3:
        train_part(int(sys.argv[1]), int(sys.argv[2]))
    else:
        with stage('diffs'):
            main()
