# Minimal safetensors writer/reader (the format is an 8-byte header length, a JSON header, and
# raw little-endian tensor bytes); no safetensors library needed.
import json
import struct

import numpy as np
import torch

DTYPES = {torch.bfloat16: 'BF16', torch.float32: 'F32', torch.float16: 'F16'}


def write(path, tensors, metadata=None):
    """tensors: {name: torch tensor} written in their own dtype, in name order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = metadata
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read(path):
    """{name: float32 tensor} of a safetensors file."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        s, e = info['data_offsets']
        buf = data[s:e]
        if info['dtype'] == 'BF16':
            t = torch.from_numpy(np.frombuffer(buf, dtype=np.int16).copy()).view(torch.bfloat16).float()
        else:
            t = torch.from_numpy(np.frombuffer(buf, dtype={'F32': np.float32, 'F16': np.float16}[info['dtype']]).copy()).float()
        out[name] = t.reshape(info['shape'])
    return out
