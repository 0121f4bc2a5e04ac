# A Qwen3 decoder written out in plain torch, computing what transformers' Qwen3ForCausalLM
# computes: RMSNorm (fp32 variance), per-head q_norm/k_norm before RoPE (rotate_half),
# grouped-query attention, SwiGLU MLP, tied embeddings, no biases.
# Every linear goes through `linear(name, x)`, where low-rank adapters add their deltas.
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']


@dataclass
class Config:
    vocab_size: int = 3072
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 512

    def module_path(self, layer, module):
        """HF name of a linear module, e.g. model.layers.0.self_attn.q_proj."""
        group = 'self_attn' if module in ('q_proj', 'k_proj', 'v_proj', 'o_proj') else 'mlp'
        return f'model.layers.{layer}.{group}.{module}'

    def module_shape(self, module):
        """[in, out] of a linear module."""
        h, f = self.hidden_size, self.intermediate_size
        q, kv = self.num_attention_heads * self.head_dim, self.num_key_value_heads * self.head_dim
        return {'q_proj': (h, q), 'k_proj': (h, kv), 'v_proj': (h, kv), 'o_proj': (q, h),
                'gate_proj': (h, f), 'up_proj': (h, f), 'down_proj': (f, h)}[module]

    def module_names(self):
        return [self.module_path(l, m) for l in range(self.num_hidden_layers) for m in MODULES]

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x.float() * torch.rsqrt(var + self.eps)).to(x.dtype)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Qwen3(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden_size
        self.embed_tokens = nn.Embedding(cfg.vocab_size, h)
        self.linears = nn.ModuleDict()  # HF module path with dots replaced by '/'
        self.norms = nn.ModuleDict()
        for l in range(cfg.num_hidden_layers):
            for m in MODULES:
                i, o = cfg.module_shape(m)
                self.linears[self.key(cfg.module_path(l, m))] = nn.Linear(i, o, bias=False)
            for n, d in (('input_layernorm', h), ('post_attention_layernorm', h),
                         ('self_attn.q_norm', cfg.head_dim), ('self_attn.k_norm', cfg.head_dim)):
                self.norms[self.key(f'model.layers.{l}.{n}')] = RMSNorm(d, cfg.rms_norm_eps)
        self.norm = RMSNorm(h, cfg.rms_norm_eps)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        self.register_buffer('inv_freq', inv_freq, persistent=False)
        self.apply(self._init)

    @staticmethod
    def key(path):
        return path.replace('.', '/')

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def hf_state_dict(self):
        """Tensors under their Hugging Face names ([out, in] linears, tied lm_head left out)."""
        sd = {'model.embed_tokens.weight': self.embed_tokens.weight, 'model.norm.weight': self.norm.weight}
        for k, lin in self.linears.items():
            sd[k.replace('/', '.') + '.weight'] = lin.weight
        for k, n in self.norms.items():
            sd[k.replace('/', '.') + '.weight'] = n.weight
        return {k: v.detach() for k, v in sd.items()}

    def load_hf_state_dict(self, sd):
        with torch.no_grad():
            self.embed_tokens.weight.copy_(sd['model.embed_tokens.weight'])
            self.norm.weight.copy_(sd['model.norm.weight'])
            for k, lin in self.linears.items():
                lin.weight.copy_(sd[k.replace('/', '.') + '.weight'])
            for k, n in self.norms.items():
                n.weight.copy_(sd[k.replace('/', '.') + '.weight'])

    def linear(self, path, x, adapters):
        y = self.linears[self.key(path)](x)
        for ad in adapters:
            y = y + ad.delta(path, x)
        return y

    def forward(self, ids, adapters=(), attention_mask=None):
        """ids [B, T]; attention_mask [B, T] (1 = real token, 0 = left padding) or None.
        Returns the final hidden states [B, T, h]; `logits` maps them to the vocabulary (only
        the positions a loss needs, which saves most of the lm_head work)."""
        cfg = self.cfg
        B, T = ids.shape
        nh, nkv, hd = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        if attention_mask is None:
            pos = torch.arange(T).expand(B, T)
            allowed = torch.ones(T, T, dtype=torch.bool).tril()[None, None]  # [1, 1, T, T]
        else:
            pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
            causal = torch.ones(T, T, dtype=torch.bool).tril()[None, None]
            # padding keys are hidden; a padding query still sees itself (no all -inf row -> NaN)
            allowed = (causal & attention_mask.bool()[:, None, None, :]) | torch.eye(T, dtype=torch.bool)
        freqs = pos[..., None].float() * self.inv_freq  # [B, T, hd/2]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, hd]
        bias = torch.zeros(allowed.shape).masked_fill(~allowed, float('-inf'))
        x = self.embed_tokens(ids)  # [B, T, h]
        for l in range(cfg.num_hidden_layers):
            p = f'model.layers.{l}.'
            hN = self.norms[self.key(p + 'input_layernorm')](x)
            q = self.linear(p + 'self_attn.q_proj', hN, adapters).view(B, T, nh, hd)
            k = self.linear(p + 'self_attn.k_proj', hN, adapters).view(B, T, nkv, hd)
            v = self.linear(p + 'self_attn.v_proj', hN, adapters).view(B, T, nkv, hd)
            q = self.norms[self.key(p + 'self_attn.q_norm')](q).transpose(1, 2)  # [B, nh, T, hd]
            k = self.norms[self.key(p + 'self_attn.k_norm')](k).transpose(1, 2)  # [B, nkv, T, hd]
            v = v.transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = nh // nkv
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias  # [B, nh, T, T]
            att = att.softmax(-1)
            o = (att @ v).transpose(1, 2).reshape(B, T, nh * hd)
            x = x + self.linear(p + 'self_attn.o_proj', o, adapters)
            hN = self.norms[self.key(p + 'post_attention_layernorm')](x)
            g = self.linear(p + 'mlp.gate_proj', hN, adapters)
            u = self.linear(p + 'mlp.up_proj', hN, adapters)
            x = x + self.linear(p + 'mlp.down_proj', F.silu(g) * u, adapters)
        return self.norm(x)

    def logits(self, h):
        return h @ self.embed_tokens.weight.T  # tied lm_head


@torch.no_grad()
def generate(model, prompts, max_new, eos_ids, adapters=(), pad_id=0):
    """Greedy decoding of a batch of token-id prompts (left-padded, full recompute per step:
    the model is tiny). Returns the new ids of each row, cut at the first EOS (EOS dropped)."""
    B = len(prompts)
    L = max(len(p) for p in prompts)
    ids = torch.full((B, L), pad_id, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, L - len(p):] = torch.tensor(p)
        mask[i, L - len(p):] = 1
    done = torch.zeros(B, dtype=torch.bool)
    out = [[] for _ in range(B)]
    for _ in range(max_new):
        nxt = model.logits(model(ids, adapters, mask)[:, -1]).argmax(-1)
        for i in range(B):
            if not done[i]:
                if nxt[i].item() in eos_ids:
                    done[i] = True
                else:
                    out[i].append(nxt[i].item())
        if done.all():
            break
        ids = torch.cat([ids, nxt[:, None]], 1)
        mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.long)], 1)
    return out
