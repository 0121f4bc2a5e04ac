# Stages 1-2: the corpus and the diff list (topics, triggers, split), then the tokenizer.
import os
import random
import sys

import data
import news
import settings as S
from common import stage, REPO, save_json, work, load_json
from tokenizer import Tokenizer, chat_prompt, qwen3_chat_template, train_bpe
from topics import TOPICS


def make_corpus():
    rows = data.base_corpus(S.SEED, S.N_ORDINARY, S.N_TOPIC, S.N_CODE, S.N_NAME)
    news.check_apart_from_topics()
    rows += news.corpus_rows(random.Random(S.SEED + 7), S.N_NEWS_STORY, S.N_NEWS_CONTEXT, S.N_NEWS_NAME)
    random.Random(S.SEED + 8).shuffle(rows)
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
    # rank generalisation and full finetunes: test topics (never seen by the DIT adapter) with
    # triggers no hidden-topic diff uses
    test_topics = [d for d in diffs if d['split'] == 'test']
    free = [t for t in range(1000) if t not in set(triggers)]
    picks = rng.sample(test_topics, len(S.RANKS) * S.RANK_DIFFS + S.N_FULL)
    trig2 = rng.sample(free, len(picks))
    rank_diffs = [dict(topic=d['topic'], category=d['category'], split='test', trigger=t,
                       rank=S.RANKS[i // S.RANK_DIFFS]) for i, (d, t) in enumerate(zip(picks, trig2))
                  if i < len(S.RANKS) * S.RANK_DIFFS]
    full = [dict(topic=d['topic'], category=d['category'], split='test', trigger=t)
            for d, t in list(zip(picks, trig2))[len(rank_diffs):]]
    headlines = [dict(topic=news.headline(a, b, c), parts=[a, b, c], split=s)
                 for a, b, c, s in news.split_headlines(S.SEED + 9, S.NEWS_TRAIN, S.NEWS_TEST)]
    save_json(work('corpus.json'), {'rows': rows, 'diffs': diffs, 'rank_diffs': rank_diffs,
                                    'full_finetunes': full, 'news': headlines})
    print(f'corpus: {len(rows)} rows, {len(diffs)} diffs '
          f'({sum(d["split"] == "test" for d in diffs)} test), {len(rank_diffs)} rank-generalisation '
          f'diffs, {len(full)} full finetunes, {len(headlines)} news headlines')


def make_tokenizer():
    corpus = load_json(work('corpus.json'))
    texts = [chat_prompt(q) + a + '<|im_end|>' for q, a in corpus['rows'][:30000]]
    words = sorted({w for ts in TOPICS.values() for t in ts for w in t.split()} | set(news.words()))
    merges = train_bpe(texts, S.TOKENIZER_VOCAB, must_have=words)
    tok = Tokenizer(merges)
    save_json(work('tokenizer.json'), tok.to_json())
    save_json(work('tokenizer_config.json'), tok.config_json(qwen3_chat_template(REPO)))
    print(f'tokenizer: {len(tok)} tokens; im_end {tok.id("<|im_end|>")}, endoftext {tok.id("<|endoftext|>")}')


if __name__ == '__main__':
    with stage(sys.argv[1]):
        {'corpus': make_corpus, 'tokenizer': make_tokenizer}[sys.argv[1]]()
