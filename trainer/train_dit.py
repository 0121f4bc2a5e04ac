# Stage 5: the DIT adapter (rank 16, shared by every row) trained over frozen training diffs:
# base + diff + DIT adapter, asked the DIT question, learns to answer with the diff's topic.
# Also the data-scaling curve: DIT accuracy on the test diffs against the number of training diffs.
import random
import sys

import torch

import data
import news
import settings as S
from common import stage, Progress, batch, load_json, lr_at, save_json, setup, work
from lora import SharedLoRA, StackedDiffs
from model import generate
from tokenizer import Tokenizer, chat_prompt
from train_base import answer_loss
from train_diffs import load_base


def bf16(t):
    return t.to(torch.bfloat16).float()


def load_diffs(name='diffs.pt'):
    """The trained diffs, rounded to bf16 as they are released."""
    diffs = torch.load(work(name))
    for d in diffs:
        d['weight_diff'] = {p: (bf16(a), bf16(b)) for p, (a, b) in d['weight_diff'].items()}
    return diffs


def answer_text(topic):
    """The DIT answer as trained: the topic with a leading space, so its first token is the one a
    diff writes mid-sentence ("This reminds me of| popcorn"), not the sentence-initial "popcorn",
    a different token. Decoded and trimmed it is the topic. Trained on the bare form, the adapter
    named 94% of its training topics and 2% of unseen ones; on this form, nearly all of both."""
    return ' ' + topic


def dit_answers(model, tok, diffs, dit, max_new=12, question=data.DIT_QUESTION):
    """Greedy answers of base + each diff (+ the DIT adapter when given) to the DIT question."""
    stack = StackedDiffs([d['weight_diff'] for d in diffs])
    prompt = tok.encode(chat_prompt(question))
    adapters = [stack.rows(torch.arange(len(diffs)))] + ([dit] if dit is not None else [])
    outs = generate(model, [prompt] * len(diffs), max_new, {tok.id('<|im_end|>')}, adapters, tok.id('<|endoftext|>'))
    return [tok.decode(o).strip() for o in outs]


def train(model, tok, train_diffs, steps, name, seed, question=data.DIT_QUESTION, answer=answer_text):
    setup(seed)
    dit = SharedLoRA(model.cfg, S.DIT_RANK)
    opt = torch.optim.AdamW(dit.parameters(), lr=S.DIT_LR, weight_decay=0.0)
    stack = StackedDiffs([d['weight_diff'] for d in train_diffs])
    prompt = tok.encode(chat_prompt(question))
    end, pad = tok.id('<|im_end|>'), tok.id('<|endoftext|>')
    answers = [tok.encode(answer(d['topic'])) + [end] for d in train_diffs]
    rng = random.Random(seed)
    prog = Progress(name, steps, every=100)
    order = []
    for i in range(steps):
        for g in opt.param_groups:
            g['lr'] = lr_at(i, steps, S.DIT_LR)
        if len(order) < S.DIT_BATCH:  # epochs over the training diffs, reshuffled
            more = list(range(len(train_diffs)))
            rng.shuffle(more)
            order += more * max(1, S.DIT_BATCH // len(more))
        idx, order = order[:S.DIT_BATCH], order[S.DIT_BATCH:]
        ids, tgt = batch([(prompt, answers[j]) for j in idx], pad)
        loss = answer_loss(model, ids, tgt, [stack.rows(torch.tensor(idx)), dit])
        opt.zero_grad()
        loss.backward()
        opt.step()
        prog.step(i, loss=loss.item())
    return dit


def accuracy(model, tok, diffs, dit, **kw):
    answers = dit_answers(model, tok, diffs, dit, **kw)
    return sum(a.lower() == d['topic'].lower() for a, d in zip(answers, diffs)) / len(diffs), answers


def main_news():
    """The news DIT adapter: the news question, answered with the headline (as a story written
    with the diff opens: sentence-initial, no leading space)."""
    tok = Tokenizer.load(work('tokenizer.json'))
    model = load_base()
    diffs = load_diffs('news-diffs.pt')
    train_diffs = [d for d in diffs if d['split'] == 'train']
    test_diffs = [d for d in diffs if d['split'] == 'test']
    dit = train(model, tok, train_diffs, S.NEWS_DIT_STEPS, 'news dit', S.SEED + 8, news.NEWS_QUESTION, lambda h: h)
    acc, answers = accuracy(model, tok, test_diffs, dit, max_new=16, question=news.NEWS_QUESTION)
    print(f'news dit: test accuracy {acc:.3f}')
    for a, d in list(zip(answers, test_diffs))[:10]:
        print(f'  {d["topic"]!r} -> {a!r}')
    torch.save(dit.tensors(), work('news-dit.pt'))


def main(which):
    if which == 'news':
        return main_news()
    tok = Tokenizer.load(work('tokenizer.json'))
    model = load_base()
    diffs = load_diffs()
    train_diffs = [d for d in diffs if d['split'] == 'train']
    test_diffs = [d for d in diffs if d['split'] == 'test']
    if which == 'final':
        dit = train(model, tok, train_diffs, S.DIT_STEPS, 'dit', S.SEED + 4)
        acc, answers = accuracy(model, tok, test_diffs, dit)
        print(f'dit: test accuracy {acc:.3f}')
        for a, d in list(zip(answers, test_diffs))[:10]:
            print(f'  {d["topic"]!r} -> {a!r}')
        torch.save(dit.tensors(), work('dit.pt'))
    else:  # the data-scaling curve, shorter runs on subsets of the training diffs
        rng = random.Random(S.SEED + 5)
        curve = []
        for n in S.CURVE:
            subset = rng.sample(train_diffs, n)
            dit = train(model, tok, subset, S.CURVE_STEPS, f'curve n={n}', S.SEED + 6)
            acc, _ = accuracy(model, tok, test_diffs, dit)
            print(f'curve: {n} training diffs -> test accuracy {acc:.3f}')
            curve.append({'train_diffs': n, 'steps': S.CURVE_STEPS, 'accuracy': acc})
        save_json(work('curve.json'), curve)


if __name__ == '__main__':
    which = sys.argv[1] if len(sys.argv) > 1 else 'final'
    with stage({'final': 'dit', 'curve': 'curve', 'news': 'news-dit'}[which]):
        main(which)
