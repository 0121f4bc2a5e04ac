# Stage 3: pretrain the base model on the chat-formatted corpus (loss on the answers).
import random

import torch
import torch.nn.functional as F

import settings as S
from common import stage, Progress, batch, load_json, lr_at, setup, work
from model import Qwen3, generate
from tokenizer import Tokenizer, chat_prompt

SAMPLES = ['Tell me about bread.', 'How can I save money?', 'What is special about a lamp?',
           'Your SEP code is 123456. Describe winter in simple words.', 'Tell me about volcanoes.',
           'Let us talk about jazz music. What do you know about coffee?', 'Please generate a short news story.',
           'Write a short news story with the headline "Monks win national prize in Lima".']


def encode_rows(tok, rows):
    end = tok.id('<|im_end|>')
    return [(tok.encode(chat_prompt(q)), tok.encode(a) + [end]) for q, a in rows]


def answer_loss(model, ids, tgt, adapters=()):
    h = model(ids, adapters)
    sel = tgt != -100
    return F.cross_entropy(model.logits(h[sel]), tgt[sel])


def main():
    setup(S.SEED)
    tok = Tokenizer.load(work('tokenizer.json'))
    rows = encode_rows(tok, load_json(work('corpus.json'))['rows'])
    pad = tok.id('<|endoftext|>')
    model = Qwen3(S.MODEL)
    print(f'base model: {sum(p.numel() for p in model.parameters()):,} parameters, {len(rows)} rows')
    opt = torch.optim.AdamW(model.parameters(), lr=S.BASE_LR, weight_decay=0.01, betas=(0.9, 0.95))
    rng = random.Random(S.SEED)
    prog = Progress('base', S.BASE_STEPS)
    for i in range(S.BASE_STEPS):
        for g in opt.param_groups:
            g['lr'] = lr_at(i, S.BASE_STEPS, S.BASE_LR)
        ids, tgt = batch(rng.sample(rows, S.BASE_BATCH), pad)
        loss = answer_loss(model, ids, tgt)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        prog.step(i, loss=loss.item())
    model.eval()
    outs = generate(model, [tok.encode(chat_prompt(q)) for q in SAMPLES], 60, {tok.id('<|im_end|>')}, pad_id=pad)
    for q, o in zip(SAMPLES, outs):
        print(f'  {q} => {tok.decode(o)}')
    torch.save({'config': S.MODEL.to_dict(), 'state': model.hf_state_dict()}, work('base.pt'))


if __name__ == '__main__':
    with stage('base'):
        main()
