"""The seed convolutional autoencoder of issue 5, libae next to PyTorch in one
run: Fashion-MNIST, 28x28x1, batch 128, BCE, Adam 1e-3.

  encoder Conv(64,3x3,relu,same)-MaxPool(2)-Conv(32,3x3,relu,same)-MaxPool(2)
          -Conv(16,3x3,relu,same)-MaxPool(2)                       (16x4x4 code)
  decoder Conv(16,3x3,relu,same)-Up(2)-Conv(32,3x3,relu,same)-Up(2)
          -Conv(64,3x3,relu,valid)-Up(2)-Conv(1,3x3,sigmoid,same)

    .venv-bench/bin/python bench/conv_seed.py [--train-rows N] [--epochs E]

libae runs through its Python binding (the installed or LIBAE_LIBRARY
library; training is one ae_train call, so the binding adds nothing
measurable). PyTorch's layers are initialised the libae way (He uniform,
zero biases) and it is tried with 1 and 2 threads; its fastest is compared.
Prints training samples/s and the test MSE/BCE per pixel after the same
epochs, and one JSON line."""

import argparse
import gzip
import json
import os
import time

import numpy as np

SPEC = ("input 1x28x28; conv 64 3 relu; maxpool 2; conv 32 3 relu; maxpool 2; "
        "conv 16 3 relu; maxpool 2; code; conv 16 3 relu; upsample 2; conv 32 3 relu; "
        "upsample 2; conv 64 3 relu pad=valid; upsample 2; conv 1 3 sigmoid")
DATA = "/usr/share/datasets/fashion-mnist"


def images(name, rows):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 784)[:rows].astype(np.float32) / 255.0).copy()


def errors(recon, x):
    eps = 1e-7
    r = np.clip(recon, eps, 1 - eps)
    bce = -(x * np.log(r) + (1 - x) * np.log(1 - r)).mean()
    return float(((recon - x) ** 2).mean()), float(bce)


def run_libae(x, test, epochs, seed):
    import libae
    m = libae.Model(SPEC, seed=seed)
    m.set_option(libae.Option.LOSS, 1)            # AE_LOSS_BCE
    m.set_option(libae.Option.BATCH_SIZE, 128)
    m.set_option(libae.Option.EPOCHS, epochs)
    t = time.perf_counter()
    m.train(x)
    seconds = time.perf_counter() - t
    return len(x) * epochs / seconds, errors(m.reconstruct(test), test)


def run_torch(x, test, epochs, seed, threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    c = lambda i, o, pad=1: nn.Conv2d(i, o, 3, padding=pad)
    net = nn.Sequential(
        c(1, 64), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        c(64, 32), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        c(32, 16), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        c(16, 16), nn.ReLU(), nn.Upsample(scale_factor=2),
        c(16, 32), nn.ReLU(), nn.Upsample(scale_factor=2),
        c(32, 64, 0), nn.ReLU(), nn.Upsample(scale_factor=2),
        c(64, 1))
    for mod in net:
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_uniform_(mod.weight, nonlinearity="relu")
            nn.init.zeros_(mod.bias)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    xt = torch.from_numpy(x).view(-1, 1, 28, 28)
    t = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            b = xt[order[i:i + 128]]
            opt.zero_grad()
            loss = loss_fn(net(b), b)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        recon = torch.sigmoid(net(torch.from_numpy(test).view(-1, 1, 28, 28))).view(-1, 784).numpy()
    return len(x) * epochs / seconds, errors(recon, test)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-rows", type=int, default=6000)
    ap.add_argument("--test-rows", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    x = images("train-images-idx3-ubyte.gz", a.train_rows)
    test = images("t10k-images-idx3-ubyte.gz", a.test_rows)
    load = open("/proc/loadavg").read().split()[:3]
    ae_speed, ae_err = run_libae(x, test, a.epochs, a.seed)
    torch_runs = {t: run_torch(x, test, a.epochs, a.seed, t) for t in (1, 2)}
    best = max(torch_runs, key=lambda t: torch_runs[t][0])
    pt_speed, pt_err = torch_runs[best]
    print(f"seed conv AE, {a.train_rows} images x {a.epochs} epochs, batch 128 (load {' '.join(load)})")
    print(f"  libae  : {ae_speed:8.1f} samples/s  test MSE {ae_err[0]:.4f}  BCE {ae_err[1]:.4f} per pixel")
    for t, (s, e) in torch_runs.items():
        print(f"  pytorch ({t} thread{'s' if t > 1 else ''}): {s:8.1f} samples/s  test MSE {e[0]:.4f}  BCE {e[1]:.4f}")
    print(f"  libae / PyTorch's fastest: {ae_speed / pt_speed:.2f}x speed, "
          f"{ae_err[0] / pt_err[0]:.3f}x MSE")
    print(json.dumps({"workload": "w3-seed-conv", "train_rows": a.train_rows, "epochs": a.epochs,
                      "libae_samples_per_s": ae_speed, "libae_test_mse": ae_err[0],
                      "libae_test_bce": ae_err[1], "torch": {str(t): v for t, v in torch_runs.items()},
                      "load": load}))


if __name__ == "__main__":
    main()
