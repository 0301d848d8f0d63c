# golden values for the conv-net layers from PyTorch (Debian's python3-torch 1.13), run once:
#   /usr/bin/python3 scripts/golden/conv.py > test/fixtures/conv-golden.json
# inputs are drawn here (numpy, seeded) and stored beside the results, so the test feeds blasprop
# exactly what PyTorch saw; everything in float64
import json

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261202)


def t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def flat(x):
    return x.detach().numpy().reshape(-1).tolist()


cases = {}

# Conv2d: 2 samples, 3 channels, 7×6 input, 4 filters of 3×2, stride 2, padding 1
N, C, H, W, FN, KH, KW, S, P = 2, 3, 7, 6, 4, 3, 2, 2, 1
x = rng.standard_normal((N, C, H, W))
w = rng.standard_normal((FN, C, KH, KW))
b = rng.standard_normal(FN)
xt, wt, bt = t(x), t(w), t(b)
y = F.conv2d(xt, wt, bt, stride=S, padding=P)
dout = rng.standard_normal(tuple(y.shape))
y.backward(torch.tensor(dout))
cases['conv'] = dict(input=[C, H, W], kernel=[KH, KW], stride=S, pad=P, filters=FN, n=N,
                     x=x.reshape(-1).tolist(), W=w.reshape(-1).tolist(), b=b.tolist(), dout=dout.reshape(-1).tolist(),
                     out=flat(y), dx=flat(xt.grad), dW=flat(wt.grad), db=flat(bt.grad), out_shape=list(y.shape))

# MaxPool2d: 2 samples, 2 channels, 5×8 input, 3×2 windows, stride 2, padding 1
N, C, H, W = 2, 2, 5, 8
x = rng.standard_normal((N, C, H, W))
xt = t(x)
y = F.max_pool2d(xt, kernel_size=(3, 2), stride=2, padding=1)
dout = rng.standard_normal(tuple(y.shape))
y.backward(torch.tensor(dout))
cases['pool'] = dict(input=[C, H, W], kernel=[3, 2], stride=2, pad=1, n=N, x=x.reshape(-1).tolist(),
                     dout=dout.reshape(-1).tolist(), out=flat(y), dx=flat(xt.grad), out_shape=list(y.shape))

# BatchNorm2d in training mode: 3 samples, 2 channels, 3×2 planes; eps as the book's 1e-6
N, C, H, W = 3, 2, 3, 2
x = rng.standard_normal((N, C, H, W)) * 2 + 1
g = rng.standard_normal(C)
be = rng.standard_normal(C)
xt, gt, bet = t(x), t(g), t(be)
y = F.batch_norm(xt, None, None, gt, bet, training=True, eps=1e-6)
dout = rng.standard_normal(tuple(y.shape))
y.backward(torch.tensor(dout))
cases['batchnorm'] = dict(channels=C, n=N, plane=H * W, x=x.reshape(-1).tolist(), gamma=g.tolist(), beta=be.tolist(),
                          dout=dout.reshape(-1).tolist(), out=flat(y), dx=flat(xt.grad), dgamma=flat(gt.grad), dbeta=flat(bet.grad),
                          batch_mean=x.mean(axis=(0, 2, 3)).tolist())

print(json.dumps({'generator': 'scripts/golden/conv.py', 'torch': torch.__version__, 'cases': cases}))
