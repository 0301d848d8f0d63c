#!/usr/bin/python3
# golden numbers for blasprop's optimizers from real torch.optim, written to
# test/fixtures/optim-golden.json. run once by hand with Debian's python3-torch:
#   /usr/bin/python3 scripts/optim-golden.py
# (not run by the tests or CI; the fixture is committed). each case: a 2×3 parameter, five updates
# with fixed gradients, float64, the parameter after every update.
import json
import os

import torch

P0 = [[1.0, -2.0, 0.5], [0.25, 3.0, -0.75]]
GRADS = [
    [[0.5, -0.25, 2.0], [0.1, -0.35, 0.05]],
    [[-1.0, 0.75, 0.125], [0.2, 0.0, -0.4]],
    [[0.25, 0.5, -1.5], [-0.6, 0.35, 0.9]],
    [[2.0, -1.25, 0.0], [0.05, -0.15, 0.3]],
    [[-0.5, 0.125, 0.75], [1.1, 0.4, -0.2]],
]

# (no gradient cancels its weight decay term exactly, g = −wd·p: there the result is rounding noise
# amplified by 1/eps, and the order of torch's float operations, not the rule, decides it)

# blasprop name, its hyperparameters, and the torch optimizer made with the same ones
CASES = [
    ('sgd', {'lr': 0.1, 'weightDecay': 0}, lambda p: torch.optim.SGD([p], lr=0.1)),
    ('sgd', {'lr': 0.1, 'weightDecay': 0.01}, lambda p: torch.optim.SGD([p], lr=0.1, weight_decay=0.01)),
    ('momentum', {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 0}, lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9)),
    ('momentum', {'lr': 0.05, 'momentum': 0.5, 'weightDecay': 0.1}, lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.5, weight_decay=0.1)),
    ('nesterov', {'lr': 0.1, 'momentum': 0.8, 'weightDecay': 0}, lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.8, nesterov=True)),
    ('nesterov', {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 0.05}, lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ('adagrad', {'lr': 0.1, 'eps': 1e-10, 'weightDecay': 0}, lambda p: torch.optim.Adagrad([p], lr=0.1, eps=1e-10)),
    ('adagrad', {'lr': 0.5, 'eps': 1e-7, 'weightDecay': 0.01}, lambda p: torch.optim.Adagrad([p], lr=0.5, eps=1e-7, weight_decay=0.01)),
    ('rmsprop', {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-8, 'weightDecay': 0}, lambda p: torch.optim.RMSprop([p], lr=0.01, alpha=0.99, eps=1e-8)),
    ('rmsprop', {'lr': 0.05, 'alpha': 0.9, 'eps': 1e-6, 'weightDecay': 0.1}, lambda p: torch.optim.RMSprop([p], lr=0.05, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ('adam', {'lr': 0.001, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8, 'weightDecay': 0}, lambda p: torch.optim.Adam([p], lr=0.001)),
    ('adam', {'lr': 0.1, 'beta1': 0.8, 'beta2': 0.95, 'eps': 1e-6, 'weightDecay': 0.05}, lambda p: torch.optim.Adam([p], lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)),
]

cases = []
for name, hyper, make in CASES:
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    opt = make(p)
    after = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        after.append(p.detach().tolist())
    cases.append({'optimizer': name, 'hyper': hyper, 'after': after})

out = {'torch': torch.__version__, 'p0': P0, 'grads': GRADS, 'cases': cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim-golden.json')
with open(path, 'w') as f:
    # one line per case, so a diff shows which optimizer's numbers moved
    f.write('{\n')
    f.write(f' "torch": {json.dumps(out["torch"])},\n "p0": {json.dumps(P0)},\n "grads": {json.dumps(GRADS)},\n "cases": [\n')
    f.write(',\n'.join('  ' + json.dumps(c) for c in cases))
    f.write('\n ]\n}\n')
print(f'wrote {len(cases)} cases to {os.path.normpath(path)}')
