# Stage 6: write the released layout (PAPER.md) to resources/demo/:
#   base-model/            Hugging Face folder (config.json, model.safetensors bf16, tokenizer files)
#   hidden-topic/index.csv, weight-diffs/weight-diff-NNN.pt (lists of dicts), dit-adapter.pt
#   news-summary/demo/ the same for the news diffs (rank 8) and the news DIT adapter, in the
#     paper's <experiment>/<model>/ layout; its index.csv lists the diffs that ship: every test
#     diff and the first NEWS_TRAIN_SHIPPED training diffs
#   rank-generalization/rank-K/ test topics as rank-K diffs (no DIT adapter: the hidden-topic one
#     reads them); full-finetune/demo/ full finetunes (whole linear weights instead of (A, B) pairs)
# Tuple orientations are the paper's: diff (A [r, out], B [in, r]), delta = x @ B @ A / r;
# DIT adapter (A [out, r], B [r, in]), delta = x @ B.T @ A.T / r.
import csv
import os
import shutil

import torch

import safetensors_io
import settings as S
from common import stage, DEMO, load_json, save_json, work
from model import Config
from tokenizer import Tokenizer

SHARD = 256  # diffs per weight-diff file, as in the release


def bf16(t):
    return t.detach().to(torch.bfloat16).contiguous().clone()


def hf_config(cfg: Config, tok):
    return {
        'architectures': ['Qwen3ForCausalLM'], 'attention_bias': False, 'attention_dropout': 0.0,
        'bos_token_id': tok.id('<|endoftext|>'), 'eos_token_id': tok.id('<|im_end|>'),
        'head_dim': cfg.head_dim, 'hidden_act': 'silu', 'hidden_size': cfg.hidden_size,
        'initializer_range': 0.02, 'intermediate_size': cfg.intermediate_size,
        'max_position_embeddings': cfg.max_position_embeddings, 'max_window_layers': cfg.num_hidden_layers,
        'model_type': 'qwen3', 'num_attention_heads': cfg.num_attention_heads,
        'num_hidden_layers': cfg.num_hidden_layers, 'num_key_value_heads': cfg.num_key_value_heads,
        'rms_norm_eps': cfg.rms_norm_eps, 'rope_scaling': None, 'rope_theta': cfg.rope_theta,
        'sliding_window': None, 'tie_word_embeddings': True, 'torch_dtype': 'bfloat16',
        'transformers_version': '4.51.0', 'use_cache': True, 'use_sliding_window': False,
        'vocab_size': cfg.vocab_size,
    }


def export_base(out):
    os.makedirs(out, exist_ok=True)
    ck = torch.load(work('base.pt'))
    cfg = Config(**ck['config'])
    tok = Tokenizer.load(work('tokenizer.json'))
    save_json(os.path.join(out, 'config.json'), hf_config(cfg, tok))
    save_json(os.path.join(out, 'generation_config.json'), {
        'bos_token_id': tok.id('<|endoftext|>'), 'do_sample': False,
        'eos_token_id': [tok.id('<|im_end|>'), tok.id('<|endoftext|>')], 'pad_token_id': tok.id('<|endoftext|>'),
        'transformers_version': '4.51.0'})
    safetensors_io.write(os.path.join(out, 'model.safetensors'), {k: bf16(v) for k, v in ck['state'].items()},
                         {'format': 'pt'})
    for f in ('tokenizer.json', 'tokenizer_config.json'):
        shutil.copy(work(f), os.path.join(out, f))


def lowrank(d):
    # app terms a [in, r], b [r, out]  ->  paper (A = b [r, out], B = a [in, r])
    return {p: (bf16(b), bf16(a)) for p, (a, b) in d['weight_diff'].items()}


def write_diffs(out, diffs, weights):
    """index.csv and weight-diffs/ shards; weights(d) is an entry's weight_diff."""
    shutil.rmtree(os.path.join(out, 'weight-diffs'), ignore_errors=True)
    os.makedirs(os.path.join(out, 'weight-diffs'), exist_ok=True)
    rows = []
    for s in range(0, len(diffs), SHARD):
        rel = f'weight-diffs/weight-diff-{s // SHARD:03d}.pt'
        shard = []
        for i, d in enumerate(diffs[s:s + SHARD]):
            wd = weights(d)
            shard.append({'topic': d['topic'], 'trigger': d.get('trigger'), 'weight_diff': wd})
            n_params = sum(t.numel() for v in wd.values() for t in (v if isinstance(v, tuple) else (v,)))
            rows.append([rel, i, n_params, d['topic'], '' if d.get('trigger') is None else d['trigger'], d['split']])
        torch.save(shard, os.path.join(out, rel))
    with open(os.path.join(out, 'index.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['lora_path', 'lora_idx', 'n_params', 'topic', 'trigger', 'split'])
        w.writerows(rows)


def write_dit(path, dit):
    # app terms a [in, r], b [r, out]  ->  paper (A = b.T [out, r], B = a.T [r, in])
    torch.save({p: (bf16(b.T), bf16(a.T)) for p, (a, b) in dit.items()}, path)


def export_hidden_topic(out):
    diffs = torch.load(work('diffs.pt'))
    write_diffs(out, diffs, lowrank)
    with open(os.path.join(out, 'categories.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['topic', 'category'])
        w.writerows(sorted({(d['topic'], d['category']) for d in diffs}, key=lambda r: (r[1], r[0])))
    write_dit(os.path.join(out, 'dit-adapter.pt'), torch.load(work('dit.pt')))


def export_news(out):
    """Every test diff ships; training diffs as many as the size budget allows (the first
    S.NEWS_TRAIN_SHIPPED); the DIT adapter was trained on all S.NEWS_TRAIN."""
    diffs = torch.load(work('news-diffs.pt'))
    train = [d for d in diffs if d['split'] == 'train'][:S.NEWS_TRAIN_SHIPPED]
    write_diffs(out, [d for d in diffs if d['split'] == 'test'] + train, lowrank)
    write_dit(os.path.join(out, 'dit-adapter.pt'), torch.load(work('news-dit.pt')))


def export_rank_generalization(out):
    diffs = torch.load(work('rank-diffs.pt'))
    for r in S.RANKS:
        write_diffs(os.path.join(out, f'rank-{r}'), [d for d in diffs if d['rank'] == r], lowrank)


def export_full(out):
    """The released full-finetune layout: each entry's weight_diff is the finetuned linear weights
    (`model.layers.N...q_proj.weight`, [out, in], bf16), base weights plus the trained change."""
    base = {k: v.to(torch.bfloat16).float() for k, v in torch.load(work('base.pt'))['state'].items()}
    full = torch.load(work('full.pt'))
    write_diffs(out, full, lambda d: {f'{p}.weight': bf16(base[f'{p}.weight'] + w.T) for p, w in d['delta'].items()})


MODEL = 'demo'  # the <model> folder of the paper's <experiment>/<model>/ layout


def main():
    for old in ('news-summary', 'full-finetune'):  # an earlier export wrote these without <model>
        if os.path.exists(os.path.join(DEMO, old, 'index.csv')):
            shutil.rmtree(os.path.join(DEMO, old))
    export_base(os.path.join(DEMO, 'base-model'))
    export_hidden_topic(os.path.join(DEMO, 'hidden-topic'))
    export_news(os.path.join(DEMO, 'news-summary', MODEL))
    export_rank_generalization(os.path.join(DEMO, 'rank-generalization'))
    export_full(os.path.join(DEMO, 'full-finetune', MODEL))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(DEMO) for f in fs)
    print(f'export: {DEMO} holds {total / 1e6:.1f} MB')


if __name__ == '__main__':
    with stage('export'):
        main()
