# Low-rank adapters in the app's terms: delta(x) = scale * (x a) b with a [in, r], b [r, out],
# scale 1/r. A diff bank holds many rank-1 diffs; RowLoRA applies one diff per batch row
# (the paper's batched training); SharedLoRA applies one adapter (the DIT adapter) to all rows.
import torch
import torch.nn as nn

from model import MODULES


class RowLoRA:
    """One adapter per batch row: a [B, in, r], b [B, r, out] for each module path."""

    def __init__(self, a, b, scale):
        self.a, self.b, self.scale = a, b, scale

    def delta(self, path, x):  # x [B, T, in] -> [B, T, out]
        return ((x @ self.a[path]) @ self.b[path]) * self.scale


class SharedLoRA(nn.Module):
    """One adapter for every row; trainable (the DIT adapter)."""

    def __init__(self, cfg, rank, init_std=None):
        super().__init__()
        self.rank, self.scale = rank, 1.0 / rank
        self.a = nn.ParameterDict()
        self.b = nn.ParameterDict()
        for path in cfg.module_names():
            i, o = cfg.module_shape(path.rsplit('.', 1)[1])
            k = path.replace('.', '/')
            self.a[k] = nn.Parameter(torch.randn(i, rank) * (init_std or i ** -0.5))
            self.b[k] = nn.Parameter(torch.zeros(rank, o))

    def delta(self, path, x):
        k = path.replace('.', '/')
        return ((x @ self.a[k]) @ self.b[k]) * self.scale

    def tensors(self):
        """{path: (a [in, r], b [r, out])} detached."""
        return {k.replace('/', '.'): (self.a[k].detach(), self.b[k].detach()) for k in self.a}


class DiffBank(nn.Module):
    """n rank-r diffs: a [n, in, r], b [n, r, out] per module; rows pick diffs by index."""

    def __init__(self, cfg, n, rank=1, init_std=None):
        super().__init__()
        self.n, self.rank, self.scale = n, rank, 1.0 / rank
        self.a = nn.ParameterDict()
        self.b = nn.ParameterDict()
        for path in cfg.module_names():
            i, o = cfg.module_shape(path.rsplit('.', 1)[1])
            k = path.replace('.', '/')
            self.a[k] = nn.Parameter(torch.randn(n, i, rank) * (init_std or i ** -0.5))
            self.b[k] = nn.Parameter(torch.zeros(n, rank, o))

    def rows(self, idx):
        """A RowLoRA for rows whose diff indices are idx [B]."""
        return RowLoRA({k.replace('/', '.'): self.a[k][idx] for k in self.a},
                       {k.replace('/', '.'): self.b[k][idx] for k in self.b}, self.scale)

    def diff(self, j):
        """{path: (a [in, r], b [r, out])} of diff j, detached."""
        return {k.replace('/', '.'): (self.a[k][j].detach(), self.b[k][j].detach()) for k in self.a}


class StackedDiffs:
    """Frozen diffs stacked once; rows(idx) gathers per-row tensors cheaply."""

    def __init__(self, diffs):
        self.paths = list(diffs[0].keys())
        self.A = {p: torch.stack([d[p][0] for d in diffs]).float() for p in self.paths}
        self.B = {p: torch.stack([d[p][1] for d in diffs]).float() for p in self.paths}
        self.scale = 1.0 / diffs[0][self.paths[0]][0].shape[1]

    def rows(self, idx):
        return RowLoRA({p: self.A[p][idx] for p in self.paths}, {p: self.B[p][idx] for p in self.paths}, self.scale)


class FullRows:
    """One full weight change per batch row: w [B, in, out] for each module path."""

    def __init__(self, w):
        self.w = w

    def delta(self, path, x):
        return x @ self.w[path]


class FullBank(nn.Module):
    """n full finetunes of the linear weights, as changes dW [n, in, out] per module (zero at
    the start); rows pick finetunes by index, like DiffBank."""

    def __init__(self, cfg, n):
        super().__init__()
        self.n = n
        self.w = nn.ParameterDict()
        for path in cfg.module_names():
            i, o = cfg.module_shape(path.rsplit('.', 1)[1])
            self.w[path.replace('.', '/')] = nn.Parameter(torch.zeros(n, i, o))

    def rows(self, idx):
        return FullRows({k.replace('/', '.'): self.w[k][idx] for k in self.w})

    def diff(self, j):
        """{path: dW [in, out]} of finetune j, detached."""
        return {k.replace('/', '.'): self.w[k][j].detach() for k in self.w}
