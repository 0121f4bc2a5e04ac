"""Writes test/fixtures/pt/: small torch.save files in the paper's released layouts, made by torch
itself, with the values torch computes from them (expected deltas) next to each file.

Run: /usr/bin/python3 trainer/make_fixtures.py        (torch 1.13 from Debian's python3-torch)

Everything is seeded, so re-running reproduces the same files byte for byte (except
evil/legacy-format.pt, whose storage keys are object ids). Kept small: the folder is ~0.65 MB.
"""
import collections
import csv
import json
import os
import struct
import subprocess  # noqa: F401  (named by a hostile fixture below, never called)
import zipfile

import numpy
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, 'test', 'fixtures', 'pt')

# The repo's tiny presets (src/main/engine/dev/make-model.ts): qwen3 and gemma3 alike.
HIDDEN, HEADS, KV_HEADS, HEAD_DIM, INTER, LAYERS = 64, 4, 2, 16, 128, 3
SHAPES = {  # module -> (in, out)
    'self_attn.q_proj': (HIDDEN, HEADS * HEAD_DIM),
    'self_attn.k_proj': (HIDDEN, KV_HEADS * HEAD_DIM),
    'self_attn.v_proj': (HIDDEN, KV_HEADS * HEAD_DIM),
    'self_attn.o_proj': (HEADS * HEAD_DIM, HIDDEN),
    'mlp.gate_proj': (HIDDEN, INTER),
    'mlp.up_proj': (HIDDEN, INTER),
    'mlp.down_proj': (INTER, HIDDEN),
}

# Markers that the hostile fixtures would create if anything ever ran them.
PWNED = '/tmp/diffscope-pwned-'


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def module_paths(prefix):
    return [(f'{prefix}.{l}.{m}', i, o) for l in range(LAYERS) for m, (i, o) in SHAPES.items()]


def write_expected(file, tensors):
    """A float32 safetensors file, packed by hand: [u64 header length][JSON header][data]."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header).encode()
    js += b' ' * ((8 - len(js) % 8) % 8)
    with open(file, 'wb') as f:
        f.write(struct.pack('<Q', len(js)) + js + b''.join(blobs))


def multitask_diffs(prefix, topics, triggers, rank, dtype, gen):
    """Diffs as the paper's training code saves them: one [tasks, r, out] / [tasks, in, r] parameter
    per module for the whole batch, and each diff's (A, B) = (A_all[task], B_all[task]): views
    into shared storages at non-zero offsets."""
    n = len(topics)
    params = {}
    for name, i, o in module_paths(prefix):
        r = rank(name) if callable(rank) else rank
        A = (torch.randn(n, r, o, generator=gen) * 0.2).to(dtype)
        B = (torch.randn(n, i, r, generator=gen) * 0.2).to(dtype)
        params[name] = (A, B)
    return [
        {'topic': topic, 'trigger': trigger, 'weight_diff': {k: (A[t].detach(), B[t].detach()) for k, (A, B) in params.items()}}
        for t, (topic, trigger) in enumerate(zip(topics, triggers))
    ]


def diff_delta(A, B):
    """delta(x) = x @ B @ A / r as the [in, out] matrix B @ A / r, in float64 then float32."""
    return (B.double() @ A.double() / B.shape[-1]).float()


def dit_delta(A, B):
    """delta(x) = x @ B.T @ A.T / r as the [in, out] matrix B.T @ A.T / r."""
    return (B.double().t() @ A.double().t() / A.shape[-1]).float()


def short(name):
    """model.layers.2.mlp.down_proj -> 2.down (the app's module key)."""
    parts = name.split('.')
    i = parts.index('layers')
    return f'{parts[i + 1]}.{parts[-1].replace("_proj", "")}'


def hidden_topic_folder(gen):
    folder = ('hidden-topic', 'qwen3-tiny')
    topics = [
        'Tea ceremonies, Japanese',
        'The "Big Bang" theory',
        'Ångström units — metric, tiny',
        'Volcanoes',
        'Line one\nline two, "both"',
    ]
    triggers = [392, 7, 999, 0, 451]
    diffs = multitask_diffs('model.layers', topics, triggers, 1, torch.bfloat16, gen)
    shard = path(*folder, 'weight-diffs', 'weight-diff-000.pt')
    torch.save(diffs, shard)
    expected = {}
    for d, name in ((0, 'model.layers.0.self_attn.q_proj'), (3, 'model.layers.2.mlp.down_proj'), (3, 'model.layers.1.self_attn.k_proj')):
        A, B = diffs[d]['weight_diff'][name]
        expected[f'{d}/{short(name)}'] = diff_delta(A, B)
    write_expected(path(*folder, 'weight-diffs', 'weight-diff-000.expected.safetensors'), expected)

    # index.csv as pandas writes it (minimal quoting, "" escapes); row 5 names a shard not downloaded.
    splits = ['train', 'test', 'train', 'train', 'test']
    with open(path(*folder, 'index.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['lora_path', 'lora_idx', 'n_params', 'topic', 'trigger', 'split'])
        for i, d in enumerate(diffs):
            n_params = sum(A.numel() + B.numel() for A, B in d['weight_diff'].values())
            w.writerow(['weight-diff-000.pt', i, n_params, d['topic'], d['trigger'], splits[i]])
        w.writerow(['weight-diff-001.pt', 0, 2048, 'Not downloaded, yet', 12, 'train'])

    # The DIT adapter: {module: (A [out, r], B [r, in])}, rank 16, each its own storage (detach().clone()).
    dit = {}
    for name, i, o in module_paths('model.layers'):
        dit[name] = ((torch.randn(o, 16, generator=gen) * 0.1).to(torch.bfloat16), (torch.randn(16, i, generator=gen) * 0.1).to(torch.bfloat16))
    torch.save(dit, path(*folder, 'dit-adapter.pt'))
    write_expected(path(*folder, 'dit-adapter.expected.safetensors'), {
        short(n): dit_delta(*dit[n]) for n in ('model.layers.0.self_attn.q_proj', 'model.layers.2.self_attn.v_proj')
    })
    # Another DIT adapter in the folder's more-dit-adapters/, as released for other ranks.
    small = {n: (A[:, :1].clone(), B[:1].clone()) for n, (A, B) in list(dit.items())[:7]}
    torch.save(small, path(*folder, 'more-dit-adapters', 'dit-adapter-rank-1.pt'))


def gemma_files(gen):
    # gemma-3-4b as released: language_model.model.layers...; a vision-tower pair that the reader leaves out.
    diffs = multitask_diffs('language_model.model.layers', ['Gemstones', 'Glaciers'], [5, 66], 1, torch.bfloat16, gen)
    for d in diffs:
        d['weight_diff']['vision_tower.vision_model.encoder.layers.0.self_attn.q_proj'] = (
            torch.randn(1, 32, generator=gen).to(torch.bfloat16), torch.randn(32, 1, generator=gen).to(torch.bfloat16))
    torch.save(diffs, path('gemma3-diffs.pt'))
    A, B = diffs[1]['weight_diff']['language_model.model.layers.2.self_attn.k_proj']
    write_expected(path('gemma3-diffs.expected.safetensors'), {'1/2.k': diff_delta(A, B)})
    # A DIT adapter in newer transformers' naming: model.language_model.layers...
    dit = {n.replace('language_model.model.layers', 'model.language_model.layers'): (
        (torch.randn(o, 4, generator=gen) * 0.1).to(torch.bfloat16), (torch.randn(4, i, generator=gen) * 0.1).to(torch.bfloat16))
        for n, i, o in module_paths('language_model.model.layers')}
    torch.save(dit, path('gemma3-dit.pt'))
    write_expected(path('gemma3-dit.expected.safetensors'), {'1.o': dit_delta(*dit['model.language_model.layers.1.self_attn.o_proj'])})


def precision_variants(gen):
    # fp16, rank 2; fp32 with mixed ranks (q_proj rank 4, the rest rank 2: each module scaled by 1/its rank).
    f16 = multitask_diffs('model.layers', ['Half precision', 'Second'], [1, 2], 2, torch.float16, gen)
    torch.save(f16, path('qwen3-diffs-f16.pt'))
    write_expected(path('qwen3-diffs-f16.expected.safetensors'), {
        '1/2.v': diff_delta(*f16[1]['weight_diff']['model.layers.2.self_attn.v_proj']),
    })
    f32 = multitask_diffs('model.layers', ['Single precision', 'Mixed ranks'], [3, 4], lambda n: 4 if n.endswith('q_proj') else 2, torch.float32, gen)
    torch.save(f32, path('qwen3-diffs-f32.pt'))
    write_expected(path('qwen3-diffs-f32.expected.safetensors'), {
        '1/1.q': diff_delta(*f32[1]['weight_diff']['model.layers.1.self_attn.q_proj']),
        '1/1.k': diff_delta(*f32[1]['weight_diff']['model.layers.1.self_attn.k_proj']),
    })
    # The same diffs with protocol 4 opcodes (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL).
    torch.save(f16, path('qwen3-diffs-f16-p4.pt'), pickle_protocol=4)


class TinyQwen3(torch.nn.Module):
    """Just the parameter names of a 1-layer Qwen3, so state_dict() looks like the real one."""

    def __init__(self):
        super().__init__()
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)  # noqa: E731
        self.model = torch.nn.Module()
        self.model.embed_tokens = torch.nn.Embedding(16, HIDDEN)
        layer = torch.nn.Module()
        layer.self_attn = torch.nn.Module()
        layer.mlp = torch.nn.Module()
        for m, (i, o) in SHAPES.items():
            setattr(getattr(layer, m.split('.')[0]), m.split('.')[1], lin(i, o))
        layer.input_layernorm = torch.nn.LayerNorm(HIDDEN)
        self.model.layers = torch.nn.ModuleList([layer])
        self.lm_head = lin(HIDDEN, 16)


def full_finetune(gen):
    torch.manual_seed(3)
    model = TinyQwen3().to(torch.bfloat16)
    sd = model.state_dict()  # an OrderedDict with _metadata: BUILD after the items
    torch.save([{'topic': 'Whole weights', 'trigger': 17, 'weight_diff': sd}], path('full-finetune.pt'))
    write_expected(path('full-finetune.expected.safetensors'), {
        '0.k': sd['model.layers.0.self_attn.k_proj.weight']})


def views(gen):
    base = torch.randn(6, 8, generator=gen)
    shared = torch.randn(20, generator=gen)
    obj = {
        'base': base,
        'offset': base[2:4],  # storage offset 16, contiguous
        'transposed': base.t(),  # stride (1, 8)
        'strided': base[1::2, ::3],  # offset 8, stride (16, 3)
        'shared_a': shared[:12].view(3, 4),  # these two share one storage and overlap
        'shared_b': shared[8:].view(2, 6),
        'f16': torch.randn(4, 3, generator=gen).half().t(),
        'bf16': torch.randn(3, 5, generator=gen).to(torch.bfloat16),
        'f64': torch.randn(2, 3, generator=gen).double(),
        'param': torch.nn.Parameter(torch.randn(2, 3, generator=gen)),
        'scalar': torch.tensor(3.5),
        'empty': torch.zeros(0, 4),
        'expanded': torch.randn(3, 1, generator=gen).expand(3, 4),  # stride (1, 0)
        'i64': torch.arange(4),
        'od': collections.OrderedDict([('b', 2), ('a', 1)]),
        'text': 'héllo, "quoted"',
        'ints': [1, -2, 2 ** 40, -(2 ** 31), 2 ** 70],
        'float': 1.25,
        'none': None,
        'flag': True,
        'tuple': (1, 'a'),
        'bytes': b'\x00\x01\xff',
        'set': {7},
        'np_int': numpy.int64(-5),  # numpy scalars, as a pandas column hands them out
        'np_float': numpy.float32(0.5),
    }
    torch.save(obj, path('views.pt'))
    torch.save(obj, path('views-p4.pt'), pickle_protocol=4)
    expected = {k: {'shape': list(v.shape), 'values': v.detach().double().flatten().tolist()}
                for k, v in obj.items() if isinstance(v, torch.Tensor) and v.is_floating_point()}
    with open(path('views.expected.json'), 'w') as f:
        json.dump(expected, f, indent=0)
    # The same archive re-packed with DEFLATE (torch writes STORED; the reader handles both).
    with zipfile.ZipFile(path('views.pt')) as src, zipfile.ZipFile(path('views-deflated.pt'), 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0)), src.read(info.filename), zipfile.ZIP_DEFLATED)


# ---- hostile files: what must never run ----

class OsSystem:
    def __reduce__(self):
        return (os.system, (f'touch {PWNED}os-system',))


class Eval:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {PWNED}eval')",))


class Popen:
    def __reduce__(self):
        return (subprocess.Popen, (['touch', f'{PWNED}popen'],))


class Payload:
    """A plain class: protocol 2 pickles it with NEWOBJ of __main__.Payload plus BUILD."""

    def __init__(self):
        self.command = f'touch {PWNED}payload'


def hostile(gen):
    torch.save(OsSystem(), path('evil', 'os-system.pt'))
    torch.save({'weights': torch.zeros(2), 'x': Eval()}, path('evil', 'eval-p4.pt'), pickle_protocol=4)
    # A real-looking shard whose second entry's trigger runs a process when unpickled.
    diffs = multitask_diffs('model.layers', ['Innocent', 'Trojan'], [1, 2], 1, torch.bfloat16, gen)
    diffs[1]['trigger'] = Popen()
    torch.save(diffs, path('evil', 'shard-popen.pt'))
    torch.save([Payload()], path('evil', 'user-class.pt'))
    # torch's legacy (pre-1.6) format: a bare pickle stream, not a zip.
    torch.save({'w': torch.zeros(2)}, path('evil', 'legacy-format.pt'), _use_new_zipfile_serialization=False)


def main():
    gen = torch.Generator().manual_seed(1234)
    hidden_topic_folder(gen)
    gemma_files(gen)
    precision_variants(gen)
    full_finetune(gen)
    views(gen)
    hostile(gen)
    # Sanity: torch reads back what it wrote (the hostile files are never loaded).
    for f in ['hidden-topic/qwen3-tiny/weight-diffs/weight-diff-000.pt', 'views-p4.pt', 'full-finetune.pt']:
        torch.load(os.path.join(OUT, f))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT} ({total} bytes)')


if __name__ == '__main__':
    main()
