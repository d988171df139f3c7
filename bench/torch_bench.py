"""torch_bench.py -- the PyTorch side of the benchmarks (bench/run.sh runs it
next to build-bench/bench/ae_bench, which does the same work with libae).

    python bench/torch_bench.py WORKLOAD [--seed S] [--epochs E] [--train-rows N]
                                [--test-rows N] [--batch B] [--widths A,B,C]
                                [--threads T] [--init libae|torch] [--data DIR]
                                [--tag TEXT]

Prints one JSON object per line on stdout with the fields of ae_bench.c.
The models are libae's, layer for layer: the same widths and activations,
libae's initialisation (He uniform before ReLU, Xavier uniform otherwise,
biases 0; --init torch keeps PyTorch's default nn.Linear init instead), Adam
1e-3 (PyTorch's defaults are libae's: betas 0.9/0.999, eps 1e-8), the same
batch size, reshuffling every epoch, the last short batch kept, the same
data. Minibatches are gathered by indexing one float32 tensor, as libae
gathers rows: no DataLoader, so PyTorch is measured at its fastest.

A workload is one entry of WORKLOADS below, the same as in ae_bench.c.
"""
import argparse
import gzip
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def w1_layers(a=512, b=128, c=32):
    """The W1 model (input 784; dense a relu; dense b relu; code c linear;
    mirror sigmoid) as (in, out, activation) per layer."""
    return [(784, a, "relu"), (a, b, "relu"), (b, c, "linear"),
            (c, b, "relu"), (b, a, "relu"), (a, 784, "sigmoid")]


W1_LAYERS = w1_layers()
# W3: the seed convolutional autoencoder of issue 5 as (in, out, padding,
# then) per conv; "pool" and "up" are 2x2 max pooling (ceil mode: libae's
# `same`) and nearest 2x upsampling. Denoising: Gaussian noise, sd 0.5,
# clipped to [0, 1] (libae: `noise gaussian 0.5 clip`).
W3_CONVS = [(1, 64, 1, "pool"), (64, 32, 1, "pool"), (32, 16, 1, "pool"),
            (16, 16, 1, "up"), (16, 32, 1, "up"), (32, 64, 0, "up"), (64, 1, 1, None)]
W3_NOISE = 0.5

# name: (kind, batch, default epochs, measure)
WORKLOADS = {
    "vae": ("vae", 128, 10, "train_eval"),
    "w1": ("w1", 256, 10, "train_eval"),
    "w2": ("w1", 32, 1, "train_eval"),
    "w3": ("conv", 128, 1, "train_eval"),
    "w5": ("w1", 256, 1, "infer"),
}


def read_images(directory, name):
    with gzip.open(os.path.join(directory, name), "rb") as f:
        raw = f.read()
    magic, n, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    assert magic == 0x803 and rows == 28 and cols == 28, name
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(int(n), 784)
    return torch.from_numpy(pixels.astype(np.float32) / np.float32(255.0))


def proc_status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def libae_init(linear, activation, fan_out=None):
    """libae's init: He uniform for relu, Xavier uniform otherwise; bias 0."""
    fan_in = linear.in_features
    fan_out = fan_out or linear.out_features
    if activation == "relu":
        limit = math.sqrt(6.0 / fan_in)
    else:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        linear.weight.uniform_(-limit, limit)
        linear.bias.zero_()


class Dense(nn.Module):
    """The W1 autoencoder; forward returns the output layer's logits."""

    def __init__(self, layers, init):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(i, o) for i, o, _ in layers)
        self.acts = [a for _, _, a in layers]
        self.code_layer = 2
        if init == "libae":
            for lin, act in zip(self.linears, self.acts):
                libae_init(lin, act)

    @staticmethod
    def act(h, a):
        return torch.relu(h) if a == "relu" else h

    def encode(self, x):
        for lin, a in zip(self.linears[:self.code_layer + 1], self.acts):
            x = self.act(lin(x), a)
        return x

    def forward(self, x):
        h = self.encode(x)
        last = len(self.linears) - 1
        for k in range(self.code_layer + 1, last):
            h = self.act(self.linears[k](h), self.acts[k])
        return self.linears[last](h)


class VAE(nn.Module):
    """784-400-(20, 20)-400-784, ReLU, sigmoid output (pytorch/examples' VAE).
    The two heads are one Linear of 40 outputs, as in libae (the same model as
    two Linears of 20); forward returns (logits, mu, logvar)."""

    def __init__(self, init):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.heads = nn.Linear(400, 40)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)
        if init == "libae":
            libae_init(self.fc1, "relu")
            libae_init(self.heads, "linear")
            libae_init(self.fc3, "relu")
            libae_init(self.fc4, "sigmoid")
        elif init == "torch":
            # pytorch/examples has two Linear(400, 20) heads: PyTorch's default
            # init depends on fan_in only, so one Linear(400, 40) is the same.
            pass

    def encode(self, x):
        stats = self.heads(torch.relu(self.fc1(x)))
        return stats[:, :20], stats[:, 20:]

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.fc4(torch.relu(self.fc3(z))), mu, logvar


class Conv(nn.Module):
    """The W3 model; forward takes and returns (n, 784): logits."""

    def __init__(self, init):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, padding=p) for i, o, p, _ in W3_CONVS)
        self.then = [t for _, _, _, t in W3_CONVS]
        if init == "libae":
            for k, conv in enumerate(self.convs):
                last = k == len(self.convs) - 1
                # libae's fans for a k x k conv: C k k in, F k k out
                fan_in, fan_out = conv.in_channels * 9, conv.out_channels * 9
                limit = math.sqrt(6.0 / (fan_in + fan_out)) if last else math.sqrt(6.0 / fan_in)
                with torch.no_grad():
                    conv.weight.uniform_(-limit, limit)
                    conv.bias.zero_()

    def forward(self, x):
        h = x.view(-1, 1, 28, 28)
        for conv, then in zip(self.convs, self.then):
            h = conv(h)
            if then is None:
                break
            h = torch.relu(h)
            h = F.max_pool2d(h, 2, ceil_mode=True) if then == "pool" else \
                F.interpolate(h, scale_factor=2, mode="nearest")
        return h.reshape(-1, 784)


def kld(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def make_model(kind, init):
    if kind == "vae":
        return VAE(init)
    return Conv(init) if kind == "conv" else Dense(W1_LAYERS, init)


def step_loss(kind, model, xb):
    if kind == "vae":
        # BCE summed per image + KL, averaged over the batch: libae's
        # per-sample loss (pytorch/examples sums over the batch instead, which
        # with Adam differs only in epsilon's relative size).
        logits, mu, logvar = model(xb)
        bce = F.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
        return (bce + kld(mu, logvar)) / xb.shape[0]
    if kind == "conv":
        noisy = torch.clamp(xb + W3_NOISE * torch.randn_like(xb), 0.0, 1.0)
        return F.binary_cross_entropy_with_logits(model(noisy), xb)
    return F.binary_cross_entropy_with_logits(model(xb), xb)


def train(kind, model, opt, x, batch, epochs, gen):
    n = x.shape[0]
    epoch_seconds, loss_value = [], float("nan")
    model.train()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for k in range(0, n, batch):
            xb = x[perm[k:k + batch]]
            loss = step_loss(kind, model, xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        epoch_seconds.append(time.perf_counter() - t0)
        loss_value = total / n
        print(f"  epoch {epoch + 1}: loss {loss_value:.4f}, {epoch_seconds[-1]:.2f} s",
              file=sys.stderr, flush=True)
    return epoch_seconds, loss_value


@torch.no_grad()
def evaluate(kind, model, test):
    model.eval()
    out = {}
    if kind == "vae":
        logits, mu, logvar = model(test)  # one sample z per image
        recon = torch.sigmoid(logits)
        # pytorch/examples' test loss: BCE on the sigmoid output (PyTorch
        # clamps its logs at -100) summed, + KLD, per image.
        bce_examples = F.binary_cross_entropy(recon, test, reduction="sum").item()
        bce_logits = F.binary_cross_entropy_with_logits(logits, test, reduction="sum").item()
        kl = kld(mu, logvar).item()
        n = test.shape[0]
        out["test_neg_elbo"] = (bce_examples + kl) / n
        out["test_neg_elbo_from_logits"] = (bce_logits + kl) / n
        # reconstruction of the mean code, as libae's ae_reconstruct
        mean_logits = model.fc4(torch.relu(model.fc3(mu)))
    else:
        mean_logits = model(test)
    recon = torch.sigmoid(mean_logits)
    out["test_mse_per_pixel"] = F.mse_loss(recon, test).item()
    bce = F.binary_cross_entropy_with_logits(mean_logits, test).item()
    out["test_bce_per_pixel"] = bce
    out["test_bce_per_image"] = bce * 784
    return out


def header(args, kind, batch, epochs, n_train):
    return {
        "impl": "pytorch", "version": torch.__version__, "workload": args.workload,
        "tag": args.tag, "widths": args.widths, "seed": args.seed, "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "init": args.init,
        "batch": batch, "epochs": epochs, "train_rows": n_train,
        "loadavg_start": loadavg(),
    }


def footer(rec):
    rec["loadavg_end"] = loadavg()
    rec["rss_peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rec["vm_hwm_kb"] = proc_status_kb("VmHWM")
    print(json.dumps(rec), flush=True)


def warm_up(kind, x, batch):
    """A few steps of a throwaway model: the first optimizer step imports
    much of torch (seconds), which no epoch should be charged for."""
    model = make_model(kind, "torch")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for k in range(3):
        loss = step_loss(kind, model, x[k * batch:(k + 1) * batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def run_train_eval(args, kind, batch, epochs, x, test):
    warm_up(kind, x, batch)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = make_model(kind, args.init)
    rec = header(args, kind, batch, epochs, x.shape[0])
    rec["params"] = sum(p.numel() for p in model.parameters())
    # Built before the clock starts: its first use imports much of torch.
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rec["rss_before_train_kb"] = proc_status_kb("VmRSS")
    t0 = time.perf_counter()
    seconds, loss = train(kind, model, opt, x, batch, epochs, gen)
    rec["train_seconds"] = time.perf_counter() - t0
    rec["epoch_seconds"] = seconds
    rec["samples_per_s"] = x.shape[0] / statistics.median(seconds)
    rec["samples_per_s_total"] = x.shape[0] * epochs / rec["train_seconds"]
    rec["final_train_loss"] = loss
    t0 = time.perf_counter()
    rec.update(evaluate(kind, model, test))
    rec["eval_seconds"] = time.perf_counter() - t0
    footer(rec)


def run_infer(args, kind, batch, x, test):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = make_model(kind, args.init)
    train(kind, model, torch.optim.Adam(model.parameters(), lr=1e-3), x, batch, 1, gen)
    model.eval()
    rec = header(args, kind, batch, 1, x.shape[0])
    calls, reps, loads = 5000, 7, 50
    n_test = test.shape[0]
    lat = []
    with torch.inference_mode():
        for i in range(200):
            model.encode(test[i % n_test:i % n_test + 1])
        for i in range(calls):
            row = test[i % n_test:i % n_test + 1]
            t = time.perf_counter()
            model.encode(row)
            lat.append(time.perf_counter() - t)
        tput = []
        for _ in range(reps):
            t = time.perf_counter()
            model.encode(test)
            tput.append(time.perf_counter() - t)
    lat.sort()
    rec["encode_latency_us_median"] = 1e6 * lat[calls // 2]
    rec["encode_latency_us_p90"] = 1e6 * lat[calls * 9 // 10]
    rec["encode_calls"] = calls
    rec["encode_10k_seconds"] = statistics.median(tput)
    rec["encode_samples_per_s"] = n_test / statistics.median(tput)
    # Model load: a state_dict file in the page cache into a freshly built model.
    fd, path = tempfile.mkstemp(suffix=".pt")
    os.close(fd)
    torch.save(model.state_dict(), path)
    times = []
    for _ in range(loads):
        t = time.perf_counter()
        m = make_model(kind, "none")
        m.load_state_dict(torch.load(path, weights_only=True))
        m.eval()
        times.append(time.perf_counter() - t)
    rec["load_ms_median"] = 1e3 * statistics.median(times)
    rec["model_file_bytes"] = os.path.getsize(path)
    os.remove(path)
    if args.onnx:
        rec.update(onnx_infer(model, test, calls, reps, loads))
    footer(rec)


def onnx_infer(model, test, calls, reps, loads):
    """The same encoder exported to ONNX, run by ONNX Runtime on the CPU."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        return {"onnx_error": str(e)}

    class Encoder(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.encode(x)

    fd, path = tempfile.mkstemp(suffix=".onnx")
    os.close(fd)
    try:
        torch.onnx.export(Encoder(model), (test[:1],), path, input_names=["x"],
                          output_names=["code"], dynamic_axes={"x": {0: "n"}, "code": {0: "n"}},
                          dynamo=False)
    except Exception as e:  # noqa: BLE001 - report whatever stopped the export
        os.remove(path)
        return {"onnx_error": f"export: {type(e).__name__}: {e}"}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = torch.get_num_threads()
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    xs = test.numpy()
    n_test = xs.shape[0]
    for i in range(200):
        sess.run(None, {"x": xs[i % n_test:i % n_test + 1]})
    lat = []
    for i in range(calls):
        row = xs[i % n_test:i % n_test + 1]
        t = time.perf_counter()
        sess.run(None, {"x": row})
        lat.append(time.perf_counter() - t)
    lat.sort()
    tput = []
    for _ in range(reps):
        t = time.perf_counter()
        sess.run(None, {"x": xs})
        tput.append(time.perf_counter() - t)
    times = []
    for _ in range(loads):
        t = time.perf_counter()
        ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        times.append(time.perf_counter() - t)
    out = {
        "onnxruntime_version": ort.__version__,
        "onnx_encode_latency_us_median": 1e6 * lat[calls // 2],
        "onnx_encode_latency_us_p90": 1e6 * lat[calls * 9 // 10],
        "onnx_encode_samples_per_s": n_test / statistics.median(tput),
        "onnx_load_ms_median": 1e3 * statistics.median(times),
        "onnx_file_bytes": os.path.getsize(path),
    }
    os.remove(path)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--train-rows", type=int, default=0)
    p.add_argument("--test-rows", type=int, default=0)
    p.add_argument("--batch", type=int, default=0, help="0: the workload's")
    p.add_argument("--widths", help="A,B,C: the W1 model's encoder widths (w1, w2, w5)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: default")
    p.add_argument("--init", choices=["libae", "torch"], default="libae")
    p.add_argument("--onnx", action="store_true", help="w5: also ONNX Runtime")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--tag", default="")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    kind, batch, default_epochs, measure = WORKLOADS[args.workload]
    batch = args.batch or batch
    epochs = args.epochs or default_epochs
    if args.widths:
        if kind != "w1":
            p.error("--widths: only the W1 model (w1, w2, w5) has them")
        global W1_LAYERS
        W1_LAYERS = w1_layers(*(int(v) for v in args.widths.split(",")))
    x = read_images(args.data, "train-images-idx3-ubyte.gz")
    test = read_images(args.data, "t10k-images-idx3-ubyte.gz")
    if 0 < args.train_rows < x.shape[0]:
        x = x[:args.train_rows].clone()
    if 0 < args.test_rows < test.shape[0]:
        test = test[:args.test_rows].clone()
    if measure == "infer":
        run_infer(args, kind, batch, x, test)
    else:
        run_train_eval(args, kind, batch, epochs, x, test)


if __name__ == "__main__":
    main()
