"""report.py -- turns bench/run.sh's JSON lines into a table and bench/RESULTS.md.

    report.py --meta QUICK WORKLOAD...      print the run's machine/version record
    report.py --best-config WORKLOAD FILE [CONFIG...]
                                            PyTorch's fastest probe configuration
                                            (among CONFIGs, e.g. t1 t2p)
    report.py [--print] [--write RESULTS.md] [--quick] RESULTS_DIR

RESULTS_DIR holds one folder per run (build-bench/results/<UTC time>/ with
meta.json and results.jsonl). For each workload the newest run that measured
it is used, so `bash bench/run.sh vae` refreshes the VAE section alone.
Every ratio is libae / PyTorch: above 1 libae is faster for samples/s, below
1 libae is better for losses, faster for times.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ---------------------------------------------------------------- machine --

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def lscpu_field(name):
    for line in sh("lscpu").splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def libae_version():
    parts = {}
    with open(os.path.join(ROOT, "include", "ae.h")) as f:
        for line in f:
            for key in ("MAJOR", "MINOR", "PATCH"):
                if line.startswith(f"#define AE_VERSION_{key} "):
                    parts[key] = line.split()[2]
    return ".".join(parts.get(k, "?") for k in ("MAJOR", "MINOR", "PATCH"))


def meta(quick, workloads):
    def version(module):
        try:
            return __import__(module).__version__
        except Exception:  # noqa: BLE001 - absent or broken: say so
            return None

    dpkg = sh("dpkg-query", "-W", "-f=${Version}", "libopenblas0-pthread")
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    commit = sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
    dirty = bool(sh("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"))
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    return json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick == "1", "workloads": workloads,
        "cpu": lscpu_field("Model name"), "cores": os.cpu_count(),
        "threads_per_core": lscpu_field("Thread(s) per core"),
        "hypervisor": lscpu_field("Hypervisor vendor"),
        "memory_gib": round(mem_kb / 2**20, 1), "kernel": platform.release(),
        "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "cc": sh("cc", "--version").splitlines()[0] if sh("cc", "--version") else "",
        "python": platform.python_version(),
        "libae": libae_version(), "git": commit + ("-dirty" if dirty else ""),
        "torch": version("torch"), "numpy": version("numpy"),
        "onnxruntime": version("onnxruntime"), "openblas_deb": dpkg or None,
        "env": {k: os.environ.get(k) for k in (
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")},
        "loadavg_start": load,
    })


# ------------------------------------------------------------------ loading --

def read_jsonl(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def best_config(workload, path, allowed):
    probes = [r for r in read_jsonl(path) if r["impl"] == "pytorch"
              and r["workload"] == workload and r["tag"].startswith("probe-")
              and (not allowed or r["tag"][len("probe-"):] in allowed)]
    if not probes:
        return allowed[0] if allowed else "t1"
    return max(probes, key=lambda r: r["samples_per_s"])["tag"][len("probe-"):]


def load_runs(results_dir, quick):
    runs = []
    for d in sorted(glob.glob(os.path.join(results_dir, "*"))):
        mpath, rpath = os.path.join(d, "meta.json"), os.path.join(d, "results.jsonl")
        if not (os.path.exists(mpath) and os.path.exists(rpath)):
            continue
        with open(mpath) as f:
            m = json.load(f)
        if m.get("quick", False) != quick:
            continue
        runs.append((m, read_jsonl(rpath)))
    return runs


# ---------------------------------------------------------------- helpers --

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}"


def config_name(r):
    if r["impl"] == "libae":
        return f"{r['threads']} thread{'s' if str(r['threads']) != '1' else ''}"
    name = f"{r['threads']} thread{'s' if r['threads'] != 1 else ''}"
    if r.get("omp_wait_policy"):
        name += f", OMP_WAIT_POLICY={r['omp_wait_policy']}"
    return name


def mean_sd(values):
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], None
    return statistics.mean(values), statistics.stdev(values)


def mib(kb):
    return None if kb is None or kb < 0 else kb / 1024


# Issue 7's targets, as (op, value) on the libae / PyTorch ratio of a
# summary row: the workload and the start of the measure's label.
TARGETS = {
    ("W1", "training samples/s"): (">=", 1.5),
    ("W1", "libae training as a share"): (">=", 0.85),
    ("W1", "peak RSS (VmHWM)"): ("<=", 0.5),
    ("W1", "test MSE"): ("<=", 1.01),
    ("W2", "training samples/s"): (">=", 2.0),
    ("W3", "training samples/s"): (">=", 2.0),
    ("W4 (VAE)", "training samples/s"): (">=", 1.5),
    ("W4 (VAE)", "test −ELBO"): ("<=", 1.01),
    ("W5", "single-sample encode latency µs ("): None,
    ("W5", "single-sample encode latency µs"): ("<=", 0.25),
    ("W5", "encode samples/s (10k batch) ("): None,
    ("W5", "encode samples/s (10k batch)"): (">=", 1.5),
}


def target_of(workload, label):
    """The longest matching TARGETS key wins (so a "(vs ONNX Runtime)" row,
    which has no target, is not taken for its PyTorch row)."""
    best = None
    for (w, start), t in TARGETS.items():
        if w == workload and label.startswith(start) and (best is None or len(start) > len(best[0])):
            best = (start, t)
    return best[1] if best else None


def target_cells(workload, label, ratio_text):
    """(target, met) cells of a summary row; the ratio is libae / PyTorch
    except for shares of the ceiling (a percentage in the libae column)."""
    t = target_of(workload, label)
    if t is None:
        return "", ""
    op, value = t
    try:
        r = float(ratio_text.rstrip(" %")) / (100 if ratio_text.endswith("%") else 1)
    except ValueError:
        return f"{op.replace('>=', '≥').replace('<=', '≤')} {value:g}", "–"
    met = r >= value if op == ">=" else r <= value
    return f"{op.replace('>=', '≥').replace('<=', '≤')} {value:g}", "yes" if met else "**no**"


class Doc:
    def __init__(self):
        self.lines = []
        self.summary = []  # (workload, metric, libae, pytorch, ratio)

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.add("| " + " | ".join(header) + " |",
                 "|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.add("| " + " | ".join(str(c) for c in row) + " |")
        self.add("")


# -------------------------------------------------------------- sections --

def section_probe(doc, recs, workload, label, m):
    probes = [r for r in recs if r["workload"] == workload and r["tag"].startswith("probe-")]
    if not probes:
        return
    # The probe is the one place where every configuration ran the same
    # work back to back, PyTorch's two active threads included (which the
    # long runs avoid): libae's default against PyTorch's fastest of all.
    lib = [r["samples_per_s"] for r in probes if r["impl"] == "libae"
           and str(r["threads"]) == str(m.get("cores"))]
    pt = max((r for r in probes if r["impl"] == "pytorch"), key=lambda r: r["samples_per_s"],
             default=None)
    if lib and pt:
        doc.summary.append((label, "training samples/s, one-epoch probe, vs PyTorch's fastest "
                            f"({config_name(pt)})", fmt(lib[0], 0), fmt(pt["samples_per_s"], 0),
                            ratio(lib[0], pt["samples_per_s"])))
    doc.add(f"Thread probe (one epoch on the first {probes[0]['train_rows']:,} training "
            "images, each configuration once; PyTorch's fastest of 1 thread and 2 passive "
            "threads runs the comparison):", "")
    doc.table(["impl", "configuration", "samples/s", "load average at start"],
              [[r["impl"], config_name(r), fmt(r["samples_per_s"], 0), r["loadavg_start"]]
               for r in probes])


def train_rows_table(doc, mains, quality_cols):
    header = ["impl", "seed", "configuration", "samples/s (median epoch)",
              "samples/s (whole run)"] + [c[0] for c in quality_cols] + \
             ["peak RSS MiB", "RSS before training MiB", "load average start → end"]
    rows = []
    for r in mains:
        rows.append([r["impl"] + (" (PyTorch init)" if r.get("init") == "torch" else ""),
                     r["seed"], config_name(r), fmt(r["samples_per_s"], 0),
                     fmt(r["samples_per_s_total"], 0)] +
                    [fmt(r.get(key), d) for _, key, d in quality_cols] +
                    [fmt(mib(r.get("vm_hwm_kb")), 0), fmt(mib(r.get("rss_before_train_kb")), 0),
                     f"{r['loadavg_start'].split()[0]} → {r['loadavg_end'].split()[0]}"])
    doc.table(header, rows)


def section_vae(doc, recs, m):
    mains = [r for r in recs if r["workload"] == "vae" and r["tag"] in ("main", "torch-init")]
    if not mains:
        return
    lib = [r for r in mains if r["impl"] == "libae"]
    pt = [r for r in mains if r["impl"] == "pytorch" and r["tag"] == "main"]
    r0 = mains[0]
    doc.add("## W4: variational autoencoder (issue 4), 784-400-(20, 20)-400-784", "",
            "`input 784; dense 400 relu; gaussian 20; mirror sigmoid`, BCE summed per image "
            f"+ KL, Adam 1e-3, batch {r0['batch']}, {r0['epochs']} epochs on all "
            f"{r0['train_rows']:,} training images. Test loss: the negative ELBO per test "
            "image with one sample z (libae: mean of `ae_negative_elbo`; PyTorch: "
            "pytorch/examples' test loss, BCE(sum) on the sigmoid output + KLD, per image). "
            "Lower is better. DESIGN.md's anchor: PyTorch 1.13 (pytorch/examples, its own "
            "init) 244.9 nats per image.", "")
    le = [r["test_neg_elbo"] for r in lib]
    pe = [r["test_neg_elbo"] for r in pt]
    lm, ls = mean_sd(le)
    pm, ps = mean_sd(pe)

    def ms(mv, sv):
        return fmt(mv, 2) + (f" ± {sv:.2f}" if sv is not None else "")

    same_seeds = sorted({r["seed"] for r in lib} & {r["seed"] for r in pt})
    per_seed = []
    for s in same_seeds:
        a = next(r for r in lib if r["seed"] == s)["test_neg_elbo"]
        b = next(r for r in pt if r["seed"] == s)["test_neg_elbo"]
        per_seed.append(a / b)
    doc.table(["", "libae", "PyTorch", "libae / PyTorch"], [
        [f"test −ELBO, nats per image (mean ± sd over {len(le)} seeds)", ms(lm, ls), ms(pm, ps),
         ratio(lm, pm, 4)],
        ["per seed ratios", "", "", ", ".join(f"{x:.4f}" for x in per_seed)],
        ["training samples/s (median over seeds of the median epoch)",
         fmt(med([r["samples_per_s"] for r in lib]), 0),
         fmt(med([r["samples_per_s"] for r in pt]), 0),
         ratio(med([r["samples_per_s"] for r in lib]), med([r["samples_per_s"] for r in pt]))],
    ])
    doc.summary.append(("W4 (VAE)", "test −ELBO nats/image (lower is better)", ms(lm, ls), ms(pm, ps),
                        ratio(lm, pm, 4)))
    doc.summary.append(("W4 (VAE)", "training samples/s", fmt(med([r["samples_per_s"] for r in lib]), 0),
                        fmt(med([r["samples_per_s"] for r in pt]), 0),
                        ratio(med([r["samples_per_s"] for r in lib]),
                              med([r["samples_per_s"] for r in pt]))))
    train_rows_table(doc, mains, [("test −ELBO", "test_neg_elbo", 2),
                                  ("−ELBO, BCE from logits", "test_neg_elbo_from_logits", 2),
                                  ("test BCE/image of mean code", "test_bce_per_image", 2),
                                  ("test MSE/pixel of mean code", "test_mse_per_pixel", 4),
                                  ("final train loss", "final_train_loss", 2)])
    section_probe(doc, recs, "vae", "W4 (VAE)", m)


def section_w1(doc, recs, m):
    mains = [r for r in recs if r["workload"] == "w1" and r["tag"] == "main"]
    if not mains:
        return
    lib = [r for r in mains if r["impl"] == "libae"]
    pt = [r for r in mains if r["impl"] == "pytorch"]
    r0 = mains[0]
    doc.add("## W1: dense autoencoder, batch 256", "",
            "`input 784; dense 512 relu; dense 128 relu; code 32 linear; mirror sigmoid`, BCE "
            f"(per-pixel mean), Adam 1e-3, batch {r0['batch']}, {r0['epochs']} epochs on all "
            f"{r0['train_rows']:,} training images; test error per pixel on the 10,000 test "
            "images after the same epochs (quality at equal work). DESIGN.md's anchors: "
            "PyTorch 1.13, 10 epochs: MSE 0.0134, BCE 0.283; PCA 32: MSE 0.0151.", "")
    rows = []
    for label, key, d in (("test MSE per pixel", "test_mse_per_pixel", 5),
                          ("test BCE per pixel", "test_bce_per_pixel", 5),
                          ("training samples/s (median epoch)", "samples_per_s", 0),
                          ("peak RSS (VmHWM), MiB", "vm_hwm_kb", 0),
                          ("peak RSS − RSS before training, MiB", "delta", 0)):
        def get(r):
            if key == "vm_hwm_kb":
                return mib(r["vm_hwm_kb"])
            if key == "delta":
                return mib(r["vm_hwm_kb"] - r["rss_before_train_kb"])
            return r.get(key)
        a, b = med([get(r) for r in lib]), med([get(r) for r in pt])
        rows.append([label, fmt(a, d), fmt(b, d), ratio(a, b, 3)])
        doc.summary.append(("W1", label, fmt(a, d), fmt(b, d), ratio(a, b, 3)))
    doc.table(["", "libae", "PyTorch", "libae / PyTorch"], rows)
    adjacent_ceiling(doc, recs, "w1")
    train_rows_table(doc, mains, [("test MSE/pixel", "test_mse_per_pixel", 5),
                                  ("test BCE/pixel", "test_bce_per_pixel", 5),
                                  ("final train loss", "final_train_loss", 4)])
    section_probe(doc, recs, "w1", "W1", m)


def adjacent_ceiling(doc, recs, workload):
    """The sgemm ceiling measured right before and after the workload's runs."""
    cs = [r for r in recs if r["impl"] == "sgemm" and r["workload"] == workload]
    if not cs:
        return
    doc.add(f"The sgemm ceiling (bench/sgemm_ceiling.c, batch {cs[0]['batch']}, "
            f"{cs[0]['threads']} threads) measured next to these runs: "
            + ", ".join(f"{r['samples_per_s']:,.0f}" for r in cs)
            + f" samples/s (median {med([r['samples_per_s'] for r in cs]):,.0f}).", "")


def ceiling_of(all_recs, workload, batch, threads, sgemm_recs):
    """(samples/s, where): the adjacent ceiling if measured, else the sgemm
    workload's."""
    adj = [r["samples_per_s"] for r in all_recs if r["impl"] == "sgemm"
           and r["workload"] == workload and str(r["threads"]) == str(threads)]
    if adj:
        return med(adj), "next to its runs"
    g = [r["samples_per_s"] for r in sgemm_recs if r["batch"] == batch
         and str(r["threads"]) == str(threads)]
    return (med(g), "sgemm workload") if g else (None, "")


def speed_by_config(recs, workload, key="samples_per_s"):
    by = {}
    for r in recs:
        if r["workload"] == workload and r["tag"].startswith("main"):
            by.setdefault((r["impl"], config_name(r)), []).append(r)
    return by


def section_by_config(doc, recs, m, workload, title, blurb, label, quality=()):
    """A speed workload run in every configuration REPS times: a row per
    configuration (median of its runs), libae at its default against
    PyTorch at its fastest. quality: (header, key, digits) columns."""
    by = speed_by_config(recs, workload)
    if not by:
        return
    r0 = next(iter(by.values()))[0]
    doc.add(f"## {title}", "", blurb(r0), "")
    rows = []
    best = {}
    for (impl, conf), rs in sorted(by.items()):
        v = med([r["samples_per_s"] for r in rs])
        rows.append([impl, conf, len(rs), fmt(v, 0), ", ".join(fmt(r["samples_per_s"], 0) for r in rs)]
                    + [fmt(med([r.get(key) for r in rs]), d) for _, key, d in quality]
                    + [", ".join(r["loadavg_start"].split()[0] for r in rs)])
        best.setdefault(impl, []).append((v, conf))
    doc.table(["impl", "configuration", "runs", "samples/s (median)", "each run"]
              + [q[0] for q in quality] + ["load average at start"], rows)
    adjacent_ceiling(doc, recs, workload)
    lib_default = next((v for v, c in best.get("libae", []) if c.startswith(str(m.get("cores")))),
                       None)
    pt_best = max(best.get("pytorch", [(None, "")]))[0] if best.get("pytorch") else None
    lib_best = max(best.get("libae", [(None, "")])) if best.get("libae") else (None, "")
    doc.add(f"libae at its default ({m.get('cores')} threads) / PyTorch at its fastest: "
            f"**{ratio(lib_default, pt_best)}**; libae at its fastest ({lib_best[1]}): "
            f"{ratio(lib_best[0], pt_best)}.", "")
    doc.summary.append((workload.upper(), label, fmt(lib_default, 0), fmt(pt_best, 0),
                        ratio(lib_default, pt_best)))


def section_w2(doc, recs, m):
    section_by_config(
        doc, recs, m, "w2", "W2: the W1 model at batch 32",
        lambda r0: f"Training samples/s over one epoch of {r0['train_rows']:,} images, batch "
                   f"{r0['batch']}; median of the repetitions per configuration.",
        "training samples/s (batch 32)")


def section_w3(doc, recs, m):
    section_by_config(
        doc, recs, m, "w3", "W3: the seed convolutional denoising autoencoder, batch 128",
        lambda r0: f"`{r0.get('spec', '')}` (PyTorch: the same layers, ceil-mode pooling for "
                   "libae's `same`, re-initialised the libae way, the same noise), BCE, Adam "
                   f"1e-3, batch {r0['batch']}: training samples/s over one epoch of the first "
                   f"{r0['train_rows']:,} training images, and the test error on the first "
                   "2,000 test images after it; median of the repetitions per configuration.",
        "training samples/s (batch 128)",
        quality=(("test MSE/pixel", "test_mse_per_pixel", 4),
                 ("test BCE/pixel", "test_bce_per_pixel", 4)))


def section_scaling(doc, recs, m):
    pts = [r for r in recs if r["workload"] == "w1" and r["tag"].startswith("scale-")]
    if not pts:
        return
    doc.add("## Scaling of W1", "",
            "One epoch of the W1 model, varied one way at a time: batch size and encoder widths "
            "(input 784; dense A relu; dense B relu; code C linear; mirror sigmoid) on the first "
            "10,000 training images, then the number of training images at batch 256. Training "
            "samples/s of libae and PyTorch at 1 and 2 threads (PyTorch's 2 with OpenMP's "
            "default wait); µs/sample is the faster configuration's time per image.", "")
    by = {}
    for r in pts:
        by.setdefault(r["tag"], []).append(r)

    def key(tag):
        kind, value = tag[len("scale-"):].split("-", 1)
        order = {"batch": 0, "width": 1, "rows": 2}[kind]
        return order, int(value.split(",")[0])

    rows = []
    for tag in sorted(by, key=key):
        rs = by[tag]

        def speed(impl, threads):
            v = [r["samples_per_s"] for r in rs if r["impl"] == impl and str(r["threads"]) == threads]
            return med(v)

        la1, la2 = speed("libae", "1"), speed("libae", str(m.get("cores")))
        pt1, pt2 = speed("pytorch", "1"), speed("pytorch", "2")
        lb = max(v for v in (la1, la2) if v is not None) if la1 or la2 else None
        pb = max(v for v in (pt1, pt2) if v is not None) if pt1 or pt2 else None
        kind, value = tag[len("scale-"):].split("-", 1)
        rows.append([kind, value, rs[0]["train_rows"], rs[0]["batch"], fmt(la1, 0), fmt(la2, 0),
                     ratio(la2, la1), fmt(pt1, 0), fmt(pt2, 0), ratio(pt2, pt1),
                     fmt(1e6 / lb if lb else None, 1), fmt(1e6 / pb if pb else None, 1),
                     ratio(lb, pb)])
    doc.table(["varied", "value", "images", "batch", "libae 1 thread", "libae 2 threads",
               "libae 2/1", "PyTorch 1 thread", "PyTorch 2 threads", "PyTorch 2/1",
               "libae µs/sample", "PyTorch µs/sample", "libae / PyTorch (fastest each)"], rows)


def section_w5(doc, recs, m):
    by = speed_by_config(recs, "w5")
    if not by:
        return
    doc.add("## W5: inference on the W1 model", "",
            "Encoder of the W1 model (trained one epoch on 10,000 images first; the weights do "
            "not matter for timing). Single-sample latency: median (and 90th percentile) of "
            "5,000 calls with one row each; throughput: the 10,000 test images in one call, "
            "median of 7; load: a model file in the page cache into a usable model, median of "
            "50 (libae: `ae_load`; PyTorch: build the module + `load_state_dict(torch.load())`; "
            "ONNX Runtime: a new `InferenceSession`).", "")
    rows = []
    for (impl, conf), rs in sorted(by.items()):
        r = rs[0]
        rows.append([impl, conf, fmt(r["encode_latency_us_median"], 1),
                     fmt(r["encode_latency_us_p90"], 1), fmt(r["encode_samples_per_s"], 0),
                     fmt(r["load_ms_median"], 2), fmt(r["model_file_bytes"], 0),
                     r["loadavg_start"].split()[0]])
        if impl == "pytorch" and "onnx_encode_latency_us_median" in r:
            rows.append([f"onnxruntime {r.get('onnxruntime_version', '')}", conf,
                         fmt(r["onnx_encode_latency_us_median"], 1),
                         fmt(r["onnx_encode_latency_us_p90"], 1),
                         fmt(r["onnx_encode_samples_per_s"], 0), fmt(r["onnx_load_ms_median"], 2),
                         fmt(r["onnx_file_bytes"], 0), ""])
        elif impl == "pytorch" and "onnx_error" in r:
            rows.append(["onnxruntime", conf, r["onnx_error"], "", "", "", "", ""])
    doc.table(["impl", "configuration", "latency µs (median)", "latency µs (p90)",
               "encode samples/s (10k batch)", "load ms", "file bytes", "load avg"], rows)

    cs = [r["samples_per_s"] for r in recs if r["impl"] == "sgemm" and r["workload"] == "w5"]
    if cs:
        c = med(cs)
        doc.add(f"The encoder's forward products alone (bench/sgemm_ceiling.c --forward 1, "
                f"784-512-128-32 at libae's 256-row inference chunks, {m.get('cores')} "
                f"threads), measured next to these runs: {c:,.0f} samples/s.", "")
        for (impl, conf), rs in sorted(by.items()):
            if impl == "libae" and conf.startswith(str(m.get("cores"))):
                v = rs[0]["encode_samples_per_s"]
                doc.summary.append(("W5", "libae encode throughput as a share of the sgemm "
                                    "ceiling (forward products, next to its runs)",
                                    f"{100 * v / c:.0f} %", "", ""))

    def best_of(impl, key, lower):
        vals = [rs[0][key] for (i, _), rs in by.items() if i == impl and key in rs[0]]
        return (min(vals) if lower else max(vals)) if vals else None

    def default_of(key):
        for (i, c), rs in by.items():
            if i == "libae" and c.startswith(str(m.get("cores"))):
                return rs[0][key]
        return None

    for label, key, lower, d in (("single-sample encode latency µs", "encode_latency_us_median", True, 1),
                                 ("encode samples/s (10k batch)", "encode_samples_per_s", False, 0),
                                 ("model load ms", "load_ms_median", True, 2)):
        a, b = default_of(key), best_of("pytorch", key, lower)
        doc.summary.append(("W5", label, fmt(a, d), fmt(b, d), ratio(a, b)))
        ox = best_of("pytorch", "onnx_" + key, lower)
        if ox is not None:
            doc.summary.append(("W5", label + " (vs ONNX Runtime)", fmt(a, d), fmt(ox, d),
                                ratio(a, ox)))


def section_sgemm(doc, recs, all_recs, m):
    rs = [r for r in recs if r["workload"] == "sgemm"]
    if not rs:
        return
    doc.add("## The sgemm ceiling of W1", "",
            "Exactly the `cblas_sgemm` calls of one W1 training step, with libae's shapes, "
            "transposes and betas (per dense layer: forward x·Wᵀ, backward dzᵀ·x and dz·W, the "
            "first layer without dx) and nothing else, as samples/s = batch / step time "
            "(median of 7 × 100 steps, each run; median over runs). Training at that speed "
            "would spend all its time in sgemm.", "")
    by = {}
    for r in rs:
        by.setdefault((r["batch"], r["threads"]), []).append(r)
    rows = []
    for (b, t), group in sorted(by.items(), key=lambda kv: (-kv[0][0], -int(kv[0][1]))):
        rows.append([b, t, fmt(med([r["step_ms_median"] for r in group]), 2),
                     fmt(med([r["gflops"] for r in group]), 1),
                     fmt(med([r["samples_per_s"] for r in group]), 0),
                     ", ".join(fmt(r["samples_per_s"], 0) for r in group)])
    doc.table(["batch", "threads", "step ms", "GFLOP/s", "samples/s (ceiling)", "each run"], rows)
    core = rs[0].get("openblas_core", "")
    doc.add(f"OpenBLAS: `{rs[0].get('openblas_config', '')}`, core `{core}`.", "")

    cores = m.get("cores")
    rows = []
    for w, batch in (("w1", 256), ("w2", 32)):
        c, where = ceiling_of(all_recs, w, batch, cores, rs)
        for impl in ("libae", "pytorch"):
            vals = [r["samples_per_s"] for r in all_recs if r["workload"] == w
                    and r["impl"] == impl and r["tag"].startswith("main")
                    and (impl == "pytorch" or str(r["threads"]) == str(cores))]
            if impl == "pytorch" and w == "w2":
                # its fastest configuration
                per = {}
                for r in all_recs:
                    if r["workload"] == w and r["impl"] == impl and r["tag"].startswith("main"):
                        per.setdefault(config_name(r), []).append(r["samples_per_s"])
                vals = [max(med(v) for v in per.values())] if per else []
            v = med(vals)
            rows.append([w.upper(), batch, impl, fmt(v, 0), fmt(c, 0), where,
                         "–" if v is None or c is None else f"{100 * v / c:.0f} %"])
            if v is not None and c is not None:
                doc.summary.append((w.upper(), f"{impl} training as a share of the sgemm "
                                    f"ceiling ({cores} threads, {where})",
                                    f"{100 * v / c:.0f} %" if impl == "libae" else "",
                                    f"{100 * v / c:.0f} %" if impl == "pytorch" else "", ""))
    doc.table(["workload", "batch", "impl", "training samples/s", f"ceiling ({cores} threads)",
               "ceiling measured", "share"], rows)


W1_WIDTHS = (784, 512, 128, 32, 128, 512, 784)


def dense_flops(widths, training):
    """Multiply-adds x 2 per sample of a dense stack: forward x·Wᵀ; training
    adds dzᵀ·x for every layer and dz·W for all but the first."""
    pairs = [a * b for a, b in zip(widths, widths[1:])]
    forward = 2 * sum(pairs)
    return forward if not training else 3 * forward - 2 * pairs[0]


# The summary rows whose targets are checked against the peak: (workload,
# label prefix, flops per sample).
PEAK_ROWS = (
    ("W1", "training samples/s (median epoch)", dense_flops(W1_WIDTHS, True)),
    ("W1", "training samples/s, one-epoch probe", dense_flops(W1_WIDTHS, True)),
    ("W2", "training samples/s (batch 32)", dense_flops(W1_WIDTHS, True)),
    ("W5", "encode samples/s (10k batch)", dense_flops(W1_WIDTHS[:4], False)),
)


def peak_of(peaks, workload, cores):
    """(GFLOP/s, where) of the peak at `cores` threads: the median of those
    measured next to the workload's runs, else of the peak workload's, else
    (None, "")."""
    for name, where in ((workload, "next to its runs"), ("peak", "peak workload")):
        v = [r["gflops"] for r in peaks if r["workload"] == name and str(r["threads"]) == str(cores)]
        if v:
            return med(v), where
    return None, ""


def section_peak(doc, all_recs, m):
    """The machine's peak float32 rate, and what each dense speed target
    asks of it: target ratio x PyTorch's figure x flops per sample, against
    the peak measured nearest in time (it follows the host's clock)."""
    peaks = [r for r in all_recs if r["impl"] == "fma_peak"]
    if not peaks:
        return
    cores = m.get("cores")
    doc.add("## The machine's peak", "",
            "bench/fma_peak.c: independent 256-bit fused multiply-adds on every thread at once, "
            "nothing else (median of its repetitions). Matrix products with AVX2 kernels "
            "(OpenBLAS's and MKL's on this CPU) cannot run faster; the rate follows the host's "
            "clock, so it is also measured next to the W1 and W5 runs.", "")
    by = {}
    for r in peaks:
        by.setdefault((r["workload"], int(r["threads"])), []).append(r["gflops"])
    doc.table(["measured", "threads", "GFLOP/s (median)", "each run"],
              [["peak workload" if w == "peak" else f"next to {w.upper()}", t, fmt(med(v), 1),
                ", ".join(fmt(x, 1) for x in v)] for (w, t), v in sorted(by.items())])
    rows = []
    for workload, prefix, flops in PEAK_ROWS:
        peak, where = peak_of(peaks, workload.lower(), cores)
        for w, label, _, b, _ in doc.summary:
            target = target_of(w, label)
            if w != workload or not label.startswith(prefix) or target is None or peak is None:
                continue
            try:
                pytorch = float(b.replace(",", ""))
            except ValueError:  # no PyTorch figure ("" or "–")
                continue
            pt_gflops = pytorch * flops * 1e-9
            need = target[1] * pt_gflops
            rows.append([w, label, f"{flops / 1e6:.2f}", b, f"{pt_gflops:.1f}",
                         f"{target[1]:g}x: {need:.1f}", f"{peak:.1f} ({where})",
                         f"{100 * pt_gflops / peak:.0f} %", f"{100 * need / peak:.0f} %"])
    if not rows:
        return
    doc.add(f"What the dense speed targets ask for at {cores} threads (flops: 2 per multiply-add "
            f"of the products a sample needs):", "")
    doc.table(["workload", "measure", "MFLOP per sample", "PyTorch samples/s", "PyTorch GFLOP/s",
               "target: GFLOP/s libae needs", "peak GFLOP/s", "PyTorch's share of the peak",
               "target's share of the peak"], rows)
    sgemm = [r for r in all_recs if r["impl"] == "sgemm" and r["workload"] == "sgemm"]
    c, where = ceiling_of(all_recs, "w1", 256, cores, sgemm)
    peak, peak_where = peak_of(peaks, "w1", cores)
    if c is not None and peak is not None:
        g = c * dense_flops(W1_WIDTHS, True) * 1e-9
        doc.add(f"W1's sgemm ceiling ({where}): {g:.1f} GFLOP/s, {100 * g / peak:.0f} % of the "
                f"peak ({peak_where}): what libae's W1 training could reach if everything but "
                f"its matrix products were free.", "")


def history(doc, runs, workload, quality_key):
    """Every run of the workload kept in the results folder, newest last:
    speed ratios move with the machine's load, so the spread is shown."""
    rows = []
    for m, recs in runs:
        mains = [r for r in recs if r["workload"] == workload and r["tag"] == "main"]
        lib = [r for r in mains if r["impl"] == "libae"]
        pt = [r for r in mains if r["impl"] == "pytorch"]
        if not lib or not pt:
            continue
        a, b = med([r["samples_per_s"] for r in lib]), med([r["samples_per_s"] for r in pt])
        qa, qb = med([r[quality_key] for r in lib]), med([r[quality_key] for r in pt])
        loads = [float(r["loadavg_start"].split()[0]) for r in mains]
        rows.append([m["date"], len(lib), f"{min(loads):.1f}–{max(loads):.1f}", fmt(a, 0),
                     fmt(b, 0), ratio(a, b), ratio(qa, qb, 4)])
    if len(rows) > 1:
        doc.add(f"Every run of this workload in build-bench/results (the tables above are the "
                f"last); the speed ratio follows the load, the quality ratio does not:", "")
        doc.table(["run", "seeds", "load at start", "libae samples/s", "PyTorch samples/s",
                   "speed ratio", f"{quality_key} ratio"], rows)


def workload_of(r):
    """The report section a record belongs to: the scaling study's runs are
    W1 runs tagged scale-*."""
    if r["workload"] == "w1" and r["tag"].startswith("scale-"):
        return "scaling"
    return r["workload"]


def render(runs):
    # newest run per workload
    chosen = {}
    for m, recs in runs:
        for w in ("vae", "w1", "w2", "w3", "w5", "sgemm", "scaling", "peak"):
            mine = [r for r in recs if workload_of(r) == w]
            if mine:
                chosen[w] = (m, mine)
    if not chosen:
        return None
    all_recs = [r for _, rs in chosen.values() for r in rs]
    doc = Doc()
    for w, fn in (("w1", section_w1), ("w2", section_w2), ("w3", section_w3),
                  ("vae", section_vae), ("w5", section_w5), ("scaling", section_scaling)):
        if w in chosen:
            fn(doc, chosen[w][1], chosen[w][0])
            if w in ("vae", "w1"):
                history(doc, runs, w, "test_neg_elbo" if w == "vae" else "test_mse_per_pixel")
    if "sgemm" in chosen:
        section_sgemm(doc, chosen["sgemm"][1], all_recs, chosen["sgemm"][0])
    section_peak(doc, all_recs, chosen.get("peak", next(iter(chosen.values())))[0])

    head = ["# Benchmark results", "",
            "Written by `bash bench/run.sh` (bench/report.py); see bench/README.md for the "
            "workloads and how to read this. Every ratio is **libae / PyTorch**: above 1 "
            "libae is faster (samples/s); below 1 libae is better (losses) or faster (times).", ""]
    metas = {}
    for w, (m, _) in chosen.items():
        metas.setdefault(m["date"], (m, []))[1].append(w)
    for date, (m, ws) in sorted(metas.items()):
        env = ", ".join(f"{k}={v}" for k, v in m["env"].items() if v is not None) or "none set"
        head += [f"- **{date}** ({', '.join(ws)}): {m['cpu']}, {m['cores']} cores "
                 f"({m['threads_per_core']} thread per core, {m['hypervisor'] or 'bare metal'} "
                 f"guest), {m['memory_gib']} GiB; {m['os']}, kernel {m['kernel']}; "
                 f"libae {m['libae']} (git {m['git']}, Release, {m['cc']}), OpenBLAS "
                 f"{m['openblas_deb']} (pthread); PyTorch {m['torch']} (CPU, MKL, OpenMP), "
                 f"numpy {m['numpy']}, ONNX Runtime {m['onnxruntime']}; Python {m['python']}. "
                 f"Thread-related environment: {env}. Load average at start: "
                 f"{m['loadavg_start']}."]
    head += ["", "Threads: libae runs with OpenBLAS's default (every core) unless a row says "
             "otherwise. PyTorch is tried with `torch.set_num_threads(1)`, `(2)` and `(2)` with "
             "`OMP_WAIT_POLICY=passive`: W2 and W5 run all three and compare the fastest; the "
             "multi-epoch VAE and W1 runs use the faster of 1 thread and 2 passive threads in a "
             "one-epoch probe (OpenMP's default active wait makes two threads collapse whenever "
             "another process wants a core). Other processes may share the machine: each row "
             "gives the load average when it started (above 2 means they took CPU time).", "",
             "## Summary", ""]
    summary = Doc()
    rows = []
    for w, label, a, b, r in doc.summary:
        # a share of the ceiling has its figure in the libae column
        share = a if label.startswith("libae training as a share") else r
        rows.append([w, label, a, b, r, *target_cells(w, label, share)])
    summary.table(["workload", "measure", "libae", "PyTorch", "libae / PyTorch", "target",
                   "met"], rows)
    # The hand-written reading of the targets, kept across reruns.
    analysis = []
    path = os.path.join(HERE, "ANALYSIS.md")
    if os.path.exists(path):
        with open(path) as f:
            analysis = f.read().rstrip().splitlines() + [""]
    return "\n".join(head + summary.lines + analysis + doc.lines).rstrip() + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--meta", nargs="+")
    p.add_argument("--best-config", nargs="+", metavar="WORKLOAD FILE [CONFIG...]")
    p.add_argument("--print", action="store_true")
    p.add_argument("--write")
    p.add_argument("--quick", action="store_true")
    p.add_argument("results", nargs="?")
    a = p.parse_args()
    if a.meta:
        print(meta(a.meta[0], a.meta[1:]))
        return
    if a.best_config:
        print(best_config(a.best_config[0], a.best_config[1], a.best_config[2:]))
        return
    text = render(load_runs(a.results, a.quick))
    if text is None:
        sys.exit("report.py: no results")
    if a.print:
        print(text)
    if a.write:
        with open(a.write, "w") as f:
            f.write(text)
        print(f"wrote {a.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
