# Stage 6: write the released layout (PAPER.md) to resources/demo/:
#   base-model/            Hugging Face folder (config.json, model.safetensors bf16, tokenizer files)
#   hidden-topic/index.csv, weight-diffs/weight-diff-NNN.pt (lists of dicts), dit-adapter.pt
# Tuple orientations are the paper's: diff (A [r, out], B [in, r]), delta = x @ B @ A / r;
# DIT adapter (A [out, r], B [r, in]), delta = x @ B.T @ A.T / r.
import csv
import os
import shutil

import torch

import safetensors_io
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


def export_hidden_topic(out):
    os.makedirs(os.path.join(out, 'weight-diffs'), exist_ok=True)
    diffs = torch.load(work('diffs.pt'))
    rows = []
    for s in range(0, len(diffs), SHARD):
        rel = f'weight-diffs/weight-diff-{s // SHARD:03d}.pt'
        shard = []
        for i, d in enumerate(diffs[s:s + SHARD]):
            # app terms a [in, r], b [r, out]  ->  paper (A = b [r, out], B = a [in, r])
            wd = {p: (bf16(b), bf16(a)) for p, (a, b) in d['weight_diff'].items()}
            shard.append({'topic': d['topic'], 'trigger': d['trigger'], 'weight_diff': wd})
            n_params = sum(a.numel() + b.numel() for a, b in wd.values())
            rows.append([rel, i, n_params, d['topic'], d['trigger'], d['split']])
        torch.save(shard, os.path.join(out, rel))
    with open(os.path.join(out, 'index.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['lora_path', 'lora_idx', 'n_params', 'topic', 'trigger', 'split'])
        w.writerows(rows)
    with open(os.path.join(out, 'categories.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['topic', 'category'])
        w.writerows(sorted({(d['topic'], d['category']) for d in diffs}, key=lambda r: (r[1], r[0])))
    # app terms a [in, r], b [r, out]  ->  paper (A = b.T [out, r], B = a.T [r, in])
    dit = torch.load(work('dit.pt'))
    torch.save({p: (bf16(b.T), bf16(a.T)) for p, (a, b) in dit.items()}, os.path.join(out, 'dit-adapter.pt'))


def main():
    export_base(os.path.join(DEMO, 'base-model'))
    export_hidden_topic(os.path.join(DEMO, 'hidden-topic'))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(DEMO) for f in fs)
    print(f'export: {DEMO} holds {total / 1e6:.1f} MB')


if __name__ == '__main__':
    with stage('export'):
        main()
