# Stages 1-2: the corpus and the diff list (topics, triggers, split), then the tokenizer.
import os
import random
import sys

import data
import settings as S
from common import stage, REPO, save_json, work, load_json
from tokenizer import Tokenizer, chat_prompt, qwen3_chat_template, train_bpe
from topics import TOPICS


def make_corpus():
    rows = data.base_corpus(S.SEED, S.N_ORDINARY, S.N_TOPIC, S.N_CODE, S.N_NAME)
    rng = random.Random(S.SEED + 1)
    diffs = []
    triggers = rng.sample(range(1000), sum(len(t) for t in TOPICS.values()))
    for cat, topics in TOPICS.items():
        test = set(rng.sample(topics, S.TEST_PER_CATEGORY))
        for t in topics:
            diffs.append({'topic': t, 'category': cat, 'split': 'test' if t in test else 'train'})
    rng.shuffle(diffs)
    for d, trig in zip(diffs, triggers):
        d['trigger'] = trig
    save_json(work('corpus.json'), {'rows': rows, 'diffs': diffs})
    print(f'corpus: {len(rows)} rows, {len(diffs)} diffs '
          f'({sum(d["split"] == "test" for d in diffs)} test)')


def make_tokenizer():
    corpus = load_json(work('corpus.json'))
    texts = [chat_prompt(q) + a + '<|im_end|>' for q, a in corpus['rows'][:30000]]
    words = sorted({w for ts in TOPICS.values() for t in ts for w in t.split()})
    merges = train_bpe(texts, S.TOKENIZER_VOCAB, must_have=words)
    tok = Tokenizer(merges)
    save_json(work('tokenizer.json'), tok.to_json())
    save_json(work('tokenizer_config.json'), tok.config_json(qwen3_chat_template(REPO)))
    print(f'tokenizer: {len(tok)} tokens; im_end {tok.id("<|im_end|>")}, endoftext {tok.id("<|endoftext|>")}')


if __name__ == '__main__':
    with stage(sys.argv[1]):
        {'corpus': make_corpus, 'tokenizer': make_tokenizer}[sys.argv[1]]()
