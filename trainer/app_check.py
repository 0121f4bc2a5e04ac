# Cross-check with the app's own engine (`diffscope ask`): greedy answers of the exported base
# model, base + a diff with its trigger, and base + diff + DIT adapter must equal torch's.
# Diffs go through the app's own low-rank safetensors format (scale folded in), written to /tmp.
# Usage: /usr/bin/python3 app_check.py [N_TEST_DIFFS]
import json
import os
import subprocess
import sys

import torch

import data
import safetensors_io
from common import DEMO, REPO, setup
from evaluate import load_demo
from model import generate
from tokenizer import chat_prompt

SHORT = {'q_proj': 'q', 'k_proj': 'k', 'v_proj': 'v', 'o_proj': 'o', 'gate_proj': 'gate', 'up_proj': 'up', 'down_proj': 'down'}


def write_own(path, lowrank, scale):
    """{hf module path: (a [in, r], b [r, out])} -> the app's format, scale folded into b."""
    tensors = {}
    for p, (a, b) in lowrank.items():
        layer, module = p.split('.')[2], SHORT[p.rsplit('.', 1)[1]]
        tensors[f'{layer}.{module}.a'] = a.float().contiguous()
        tensors[f'{layer}.{module}.b'] = (b.float() * scale).contiguous()
    safetensors_io.write(path, tensors, {'format': 'diffscope-lowrank', 'scale': '1.0'})


def app_ask(question, loras, max_tokens):
    cmd = ['node', 'bin/diffscope.js', 'ask', '--model', os.path.join(DEMO, 'base-model'),
           '--max-tokens', str(max_tokens), '--json']
    for l in loras:
        cmd += ['--lora', l]
    out = subprocess.run(cmd + [question], cwd=REPO, capture_output=True, text=True,
                         env=dict(os.environ, DIFFSCOPE_HOME='/tmp/demo-home'))
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])['tokens']


def main(n):
    setup(0)
    model, tok, diffs, dit = load_demo()
    eos = {tok.id('<|im_end|>')}
    dit_path = '/tmp/diffscope-dit.safetensors'
    write_own(dit_path, dit.tensors(), 1.0 / dit.rank)
    cases = [('Tell me about bread.', None, False), ('How can I save money?', None, False)]
    for d in [d for d in diffs if d['split'] == 'test'][:n]:
        cases.append((data.sep_prefix(d['trigger'] * 1000 + 123) + 'What do you know about a lamp?', d, False))
        cases.append((data.DIT_QUESTION, d, True))
    same = 0
    for i, (q, d, with_dit) in enumerate(cases):
        adapters, loras = [], []
        if d is not None:
            from lora import StackedDiffs
            adapters.append(StackedDiffs([d['weight_diff']]).rows(torch.tensor([0])))
            path = f'/tmp/diffscope-diff-{i}.safetensors'
            write_own(path, d['weight_diff'], 1.0)
            loras.append(path)
        if with_dit:
            adapters.append(dit)
            loras.append(dit_path)
        torch_ids = generate(model, [tok.encode(chat_prompt(q))], 30, eos, adapters, tok.id('<|endoftext|>'))[0]
        app_ids = [t for t in app_ask(q, loras, 30) if t not in eos]
        ok = torch_ids == app_ids
        same += ok
        print(f'{"same" if ok else "DIFFERENT"}: {q!r}' + (f' [diff {d["topic"]!r}{" + DIT" if with_dit else ""}]' if d else ''))
        print(f'   torch: {tok.decode(torch_ids)!r}')
        if not ok:
            print(f'   app:   {tok.decode(app_ids)!r}')
    print(f'app_check: {same}/{len(cases)} greedy answers identical')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
