#!/usr/bin/env python3
"""PyTorch reference for `pnpm bench`: training throughput (img/s) of LeNet-k and MC-dropout BCNN-k.

The same architectures as @eff/models (packages/models/src/models/): conv1 6k@5x5 'same' on 28x28x1,
maxpool 2, conv2 16k@5x5 'valid', maxpool 2, dense 120k, dense 84 (fixed, as in the authors' code), dense 10;
softplus; the BCNN adds dropout 0.5 after every conv (before pooling) and hidden dense layer, as @eff/models' bcnn. Adam lr 1e-3, batch 256, cross-entropy.

Two ways to run it:
  standalone:  /usr/bin/python3 bench/pytorch_lenet.py --models lenet-1,bcnn-1 --reps 3 --batches 8
               prints one JSON line per model per repetition ({"kind": "rep", ...}).
  --serve:     reads one JSON request per stdin line ({"model": "lenet-1", "batches": 8, "warmup": 1}),
               answers one JSON line each; the harness (bench/train-throughput.ts) uses this so that
               PyTorch repetitions interleave with the tfjs ones while paying `import torch` once.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SIDE = 28
CLASSES = 10


def parse_model(name):
    """'lenet-3' -> ('lenet', 3); anything else is an error naming the value."""
    kind, _, width = name.partition('-')
    if kind not in ('lenet', 'bcnn') or not width.isdigit() or int(width) < 1:
        raise ValueError(f"model '{name}': expected lenet-<k> or bcnn-<k> with k >= 1")
    return kind, int(width)


class LeNet(nn.Module):
    """LeNet-k; with dropout_rate > 0 it is the MC-dropout BCNN-k ('lenet-all' of Gal & Ghahramani)."""

    def __init__(self, width, dropout_rate):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6 * width, 5, padding=2)
        self.conv2 = nn.Conv2d(6 * width, 16 * width, 5)
        self.fc1 = nn.Linear(16 * width * 5 * 5, 120 * width)
        self.fc2 = nn.Linear(120 * width, 84)
        self.fc3 = nn.Linear(84, CLASSES)
        self.dropout_rate = dropout_rate

    def _drop(self, x):
        # MC dropout stays on at test time too; for a training benchmark plain training-mode dropout is the same work.
        return F.dropout(x, self.dropout_rate, training=True) if self.dropout_rate > 0 else x

    def forward(self, x):
        x = F.max_pool2d(self._drop(F.softplus(self.conv1(x))), 2)
        x = F.max_pool2d(self._drop(F.softplus(self.conv2(x))), 2)
        # tfjs flattens NHWC, torch NCHW: same size and same work, only the weight order differs.
        x = torch.flatten(x, 1)
        x = self._drop(F.softplus(self.fc1(x)))
        x = self._drop(F.softplus(self.fc2(x)))
        return self.fc3(x)


def build(name):
    kind, width = parse_model(name)
    return LeNet(width, 0.5 if kind == 'bcnn' else 0.0)


def read_idx(path, header_bytes, count, item_bytes):
    """`count` items of `item_bytes` unsigned bytes after an IDX header (16 bytes for images, 8 for labels)."""
    with open(path, 'rb') as f:
        f.seek(header_bytes)
        return np.frombuffer(f.read(count * item_bytes), dtype=np.uint8)


def load_data(mnist_dir, count):
    """First `count` MNIST training images (scaled to [0,1], NCHW) and labels; synthetic when mnist_dir is None."""
    if mnist_dir is None:
        gen = torch.Generator().manual_seed(0)
        xs = torch.rand(count, 1, IMAGE_SIDE, IMAGE_SIDE, generator=gen)
        ys = torch.randint(0, CLASSES, (count,), generator=gen)
        return xs, ys, 'synthetic uniform [0,1] images, random labels'
    images_path = os.path.join(mnist_dir, 'train-images-idx3-ubyte')
    labels_path = os.path.join(mnist_dir, 'train-labels-idx1-ubyte')
    pixels = read_idx(images_path, 16, count, IMAGE_SIDE * IMAGE_SIDE)
    labels = read_idx(labels_path, 8, count, 1)
    if labels.size < count:
        raise ValueError(f'{images_path}: expected at least {count} images, found {labels.size}')
    xs = torch.from_numpy(pixels.astype(np.float32) / 255.0).reshape(count, 1, IMAGE_SIDE, IMAGE_SIDE)
    ys = torch.from_numpy(labels.astype(np.int64))
    return xs, ys, f'MNIST training images 0..{count - 1} from {mnist_dir}'


def measure(name, data, batch_size, warmup, batches):
    """Fresh model + Adam; `warmup` untimed steps, then `batches` timed steps; returns img/s and seconds."""
    xs, ys = data
    per_epoch = xs.shape[0] // batch_size
    torch.manual_seed(0)
    model = build(name)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(i):
        b = i % per_epoch
        x = xs[b * batch_size : (b + 1) * batch_size]
        y = ys[b * batch_size : (b + 1) * batch_size]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # tfjs trainOnBatch also returns the loss value, so both sides read it back

    for i in range(warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(batches):
        step(warmup + i)
    seconds = time.perf_counter() - t0
    return {'model': name, 'batches': batches, 'batchSize': batch_size, 'seconds': seconds,
            'imgPerS': batches * batch_size / seconds}


def meta(threads, data_note):
    return {'kind': 'meta', 'torch': torch.__version__, 'python': platform.python_version(), 'threads': threads,
            'interopThreads': torch.get_num_interop_threads(), 'data': data_note,
            'mkldnn': bool(torch.backends.mkldnn.is_available())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', default=','.join([f'lenet-{k}' for k in range(1, 6)] + [f'bcnn-{k}' for k in range(1, 6)]))
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--batches', type=int, default=8, help='timed batches per repetition')
    p.add_argument('--warmup', type=int, default=1, help='untimed batches before timing')
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--threads', type=int, default=os.cpu_count(), help='torch.set_num_threads (default: all cores)')
    p.add_argument('--mnist', default=None, help='directory holding train-images-idx3-ubyte and train-labels-idx1-ubyte')
    p.add_argument('--images', type=int, default=2048, help='distinct training images cycled through')
    p.add_argument('--serve', action='store_true', help='answer JSON requests from stdin, one per line')
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    names = [m.strip() for m in args.models.split(',') if m.strip()]
    for name in names:
        parse_model(name)
    if args.images < args.batch_size:
        raise SystemExit(f'--images {args.images}: need at least one batch ({args.batch_size})')
    xs, ys, note = load_data(args.mnist, args.images)
    print(json.dumps(meta(torch.get_num_threads(), note)), flush=True)

    if args.serve:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                out = measure(req['model'], (xs, ys), args.batch_size, int(req.get('warmup', args.warmup)),
                              int(req.get('batches', args.batches)))
                print(json.dumps({'kind': 'rep', **out}), flush=True)
            except Exception as e:  # the harness shows the message and keeps the other configurations
                print(json.dumps({'kind': 'error', 'request': line.strip(), 'message': f'{type(e).__name__}: {e}'}),
                      flush=True)
        return

    for rep in range(1, args.reps + 1):
        for name in names:
            out = measure(name, (xs, ys), args.batch_size, args.warmup, args.batches)
            print(json.dumps({'kind': 'rep', 'rep': rep, **out}), flush=True)


if __name__ == '__main__':
    main()
