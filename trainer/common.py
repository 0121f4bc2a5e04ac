# Paths, seeding, batching and progress printing shared by the stages.
import json
import os
import random
import sys
import time

import torch

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)
# TRAINER_WORK / TRAINER_DEMO redirect the outputs (the smoke run: settings.py)
WORK = os.environ.get('TRAINER_WORK', os.path.join(ROOT, 'work'))
DEMO = os.environ.get('TRAINER_DEMO', os.path.join(REPO, 'resources', 'demo'))


def work(*parts):
    os.makedirs(WORK, exist_ok=True)
    return os.path.join(WORK, *parts)


def setup(seed):
    # One thread by default: on these 2 cores, shared with other jobs, 2 torch threads ran
    # 1.5-4x slower than 1 (OpenMP threads wait on a busy core). TRAINER_THREADS overrides.
    torch.set_num_threads(int(os.environ.get('TRAINER_THREADS', '1')))
    torch.manual_seed(seed)
    random.seed(seed)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def save_json(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def batch(rows, pad_id):
    """rows: [(prompt_ids, answer_ids)] -> ids [B, T], targets [B, T] (-100 off the answer),
    right-padded. Position t predicts token t+1; the loss covers the answer tokens."""
    T = max(len(p) + len(a) for p, a in rows)
    ids = torch.full((len(rows), T), pad_id, dtype=torch.long)
    tgt = torch.full((len(rows), T), -100, dtype=torch.long)
    for i, (p, a) in enumerate(rows):
        seq = p + a
        ids[i, :len(seq)] = torch.tensor(seq)
        tgt[i, len(p) - 1:len(seq) - 1] = torch.tensor(a)
    return ids, tgt


class Progress:
    """Prints step, losses, speed and ETA every `every` steps."""

    def __init__(self, name, total, every=50):
        self.name, self.total, self.every = name, total, every
        self.t0 = time.time()

    def step(self, i, **values):
        if (i + 1) % self.every and i + 1 != self.total:
            return
        el = time.time() - self.t0
        eta = el / (i + 1) * (self.total - i - 1)
        vals = ' '.join(f'{k} {v:.4f}' if isinstance(v, float) else f'{k} {v}' for k, v in values.items())
        print(f'[{self.name}] step {i + 1}/{self.total} {vals} | {el / 60:.1f} min, eta {eta / 60:.1f} min', flush=True)
        sys.stdout.flush()


def lr_at(i, total, peak, warmup=50):
    """Linear warmup, cosine decay to 10%."""
    import math
    if i < warmup:
        return peak * (i + 1) / warmup
    p = (i - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


class stage:
    """`with stage('base'):` records the stage's wall time in work/timings.json."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.time()

    def __exit__(self, *exc):
        if exc[0] is None:
            path = work('timings.json')
            t = load_json(path) if os.path.exists(path) else {}
            t[self.name] = round(time.time() - self.t0)
            save_json(path, t)
            print(f'[{self.name}] done in {t[self.name] / 60:.1f} min', flush=True)
