#!/usr/bin/env bash
# bench/run.sh -- libae next to PyTorch, in the same run, on the same machine.
#
#   bash bench/run.sh                 every workload: vae w1 w2 w3 w5 sgemm scaling peak
#   bash bench/run.sh vae w1          a subset (vae is W4)
#
# Sets up .venv-bench (PyTorch, for the benchmark only; CI never builds it),
# builds libae (Release) and the drivers in build-bench/, runs each workload
# for libae and PyTorch back to back, appends one JSON line per process to
# build-bench/results/<UTC time>/results.jsonl, then writes bench/RESULTS.md
# (bench/report.py) from the newest results of each workload and prints the
# table. See bench/README.md.
#
# Knobs (environment):
#   BENCH_SEEDS="1 2 3"   seeds of the VAE comparison (both sides)
#   BENCH_W1_SEEDS="1"    seeds of the W1 comparison
#   BENCH_REPS=3          repetitions of the short speed runs (w2, w3, sgemm, peak)
#   BENCH_W3_ROWS=8192    training images of each W3 run (one epoch)
#   BENCH_QUICK=1         a smoke test: few rows, 1 epoch; results tagged quick
#                         (report.py ignores them unless --quick)
#   BENCH_TORCH=spec      what pip installs as torch (default torch==2.15.0;
#                         a local wheel's path works too)
#   BENCH_NO_REPORT=1     leave bench/RESULTS.md alone
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv-bench
BUILD=$ROOT/build-bench
PY=$VENV/bin/python
ALL=(vae w1 w2 w3 w5 sgemm scaling peak)
SEEDS=${BENCH_SEEDS:-1 2 3}
W1_SEEDS=${BENCH_W1_SEEDS:-1}
REPS=${BENCH_REPS:-3}
W3_ROWS=${BENCH_W3_ROWS:-8192}
QUICK=${BENCH_QUICK:-0}
NPROC=$(nproc)

if (($# == 0)); then set -- "${ALL[@]}"; fi
for w in "$@"; do
  case " ${ALL[*]} " in
    *" $w "*) ;;
    *) echo "run.sh: unknown workload '$w' (known: ${ALL[*]})" >&2; exit 2 ;;
  esac
done
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- the virtual environment: installed once, then only checked ----
setup_venv() {
  if [[ ! -x $PY ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
  fi
  if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
    log "installing PyTorch into $VENV (the Linux wheel is the CUDA build)"
    # torch without its dependency resolution, then what it needs to load:
    # its pure-Python requirements and the NVIDIA libraries its shared objects
    # link against (import fails without them, even on a CPU-only machine).
    # triton and cuda-bindings are left out: a CPU run never loads them.
    "$VENV/bin/pip" install -q --no-deps "${BENCH_TORCH:-torch==2.15.0}"
    mapfile -t reqs < <("$PY" - <<'EOF'
import importlib.metadata as md
from pip._vendor.packaging.requirements import Requirement
for r in md.requires("torch") or []:
    req = Requirement(r)
    if req.name in ("triton", "cuda-bindings"):
        continue
    if req.marker and not req.marker.evaluate({"extra": ""}):
        continue
    print(str(req).split(";")[0].strip())
EOF
    )
    "$VENV/bin/pip" install -q numpy "${reqs[@]}"
    "$PY" -c 'import torch; torch.ones(1) + 1' || { log "import torch failed"; exit 1; }
  fi
  if [[ " $* " == *" w5 "* ]] && ! "$PY" -c 'import onnxruntime, onnx' 2>/dev/null; then
    log "installing onnxruntime and onnx (w5 only; failure is not fatal)"
    "$VENV/bin/pip" install -q onnxruntime onnx || log "onnxruntime not installed: w5 runs without it"
  fi
}

# ---- libae (Release) and the drivers ----
build() {
  log "building libae (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DAE_BUILD_TESTS=OFF \
    -DAE_BUILD_EXAMPLES=OFF -DAE_BUILD_CLI=OFF >/dev/null
  cmake --build "$BUILD" -j"$NPROC" --target ae >/dev/null
  mkdir -p "$BUILD/bench"
  cc -O2 -std=c11 -Wall -Wextra -I"$ROOT/include" "$ROOT/bench/ae_bench.c" \
    -o "$BUILD/bench/ae_bench" -L"$BUILD" -lae -Wl,-rpath,"$BUILD" -lz -lm
  cc -O2 -std=c11 -Wall -Wextra "$ROOT/bench/sgemm_ceiling.c" \
    -o "$BUILD/bench/sgemm_ceiling" -lopenblas
  # x86-64 only (AVX2 intrinsics); elsewhere the peak is simply not measured
  if [[ $(uname -m) == x86_64 ]]; then
    cc -O2 -std=c11 -Wall -Wextra "$ROOT/bench/fma_peak.c" -o "$BUILD/bench/fma_peak" -pthread
  fi
}

# ---- one process each; every line it prints goes to results.jsonl ----
RUN_DIR=$BUILD/results/$(date -u +%Y%m%dT%H%M%SZ)
OUT=$RUN_DIR/results.jsonl
LOG=$RUN_DIR/log.txt

quick_args=()
if [[ $QUICK == 1 ]]; then quick_args=(--epochs 1 --train-rows 6000); fi

# libae THREADS WORKLOAD TAG [ARGS...]: OpenBLAS with THREADS threads.
libae() {
  local threads=$1 w=$2 tag=$3
  shift 3
  log "libae   $w $tag threads=$threads $*  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  OPENBLAS_NUM_THREADS=$threads "$BUILD/bench/ae_bench" "$w" --tag "$tag" "$@" \
    "${quick_args[@]}" >>"$OUT" 2>>"$LOG"
}

# pytorch CONFIG WORKLOAD TAG [ARGS...]: CONFIG t1, t2 (torch.set_num_threads)
# or t2p (2 threads, OMP_WAIT_POLICY=passive: waiting threads sleep).
pytorch() {
  local config=$1 w=$2 tag=$3 threads policy=()
  shift 3
  threads=${config:1:1}
  if [[ $config == *p ]]; then policy=(OMP_WAIT_POLICY=passive); fi
  log "pytorch $w $tag $config $*  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  env "${policy[@]}" "$PY" "$ROOT/bench/torch_bench.py" "$w" --threads "$threads" \
    --tag "$tag" "$@" "${quick_args[@]}" >>"$OUT" 2>>"$LOG"
}

TORCH_CONFIGS=(t1 t2 t2p)
# The multi-epoch runs pick among these: with OpenMP's default (active) wait,
# two threads collapse as soon as another process wants a core (epochs 15
# times slower were seen), so t2 is probed and reported but not trusted with
# a run of minutes.
LONG_RUN_CONFIGS=(t1 t2p)
if ((NPROC < 2)); then TORCH_CONFIGS=(t1); LONG_RUN_CONFIGS=(t1); fi
LIBAE_THREADS=$NPROC  # libae's default: OpenBLAS uses every core

# probe WORKLOAD ROWS: one short epoch per configuration; prints PyTorch's
# fastest configuration among LONG_RUN_CONFIGS.
probe() {
  local w=$1 rows=$2 c
  libae 1 "$w" probe-t1 --epochs 1 --train-rows "$rows"
  libae "$LIBAE_THREADS" "$w" "probe-t$LIBAE_THREADS" --epochs 1 --train-rows "$rows"
  for c in "${TORCH_CONFIGS[@]}"; do pytorch "$c" "$w" "probe-$c" --epochs 1 --train-rows "$rows"; done
  "$PY" "$ROOT/bench/report.py" --best-config "$w" "$OUT" "${LONG_RUN_CONFIGS[@]}"
}

bench_vae() {
  local best s
  best=$(probe vae 20000)
  log "vae: PyTorch's fastest configuration: $best"
  for s in $SEEDS; do
    libae "$LIBAE_THREADS" vae main --seed "$s"
    pytorch "$best" vae main --seed "$s"
  done
  # pytorch/examples' own initialisation (PyTorch's default), one seed
  pytorch "$best" vae torch-init --seed "${SEEDS%% *}" --init torch
}

# peak_next_to WORKLOAD [THREADS]: the machine's peak float32 rate
# (bench/fma_peak.c) recorded with the workload: it follows the host's clock,
# so the targets are set against the peak of the same minutes. A machine
# without AVX2/FMA (or a failed run) just has no peak.
peak_next_to() {
  local threads=${2:-$LIBAE_THREADS}
  [[ -x $BUILD/bench/fma_peak ]] || return 0
  log "peak    $1 threads=$threads  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$BUILD/bench/fma_peak" --threads "$threads" --workload "$1" --tag adjacent >>"$OUT" 2>>"$LOG" ||
    log "fma_peak failed (see $LOG): no peak next to $1"
}

# ceiling WORKLOAD BATCH: the sgemm ceiling at libae's thread count, recorded
# with the workload, right next to its training runs (same load).
ceiling() {
  log "sgemm   $1 batch $2 threads=$LIBAE_THREADS  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  OPENBLAS_NUM_THREADS=$LIBAE_THREADS "$BUILD/bench/sgemm_ceiling" --batch "$2" --workload "$1" \
    --tag ceiling --reps 5 --steps 50 >>"$OUT" 2>>"$LOG"
}

bench_w1() {
  local best s
  best=$(probe w1 20000)
  log "w1: PyTorch's fastest configuration: $best"
  for s in $W1_SEEDS; do
    ceiling w1 256
    peak_next_to w1
    libae "$LIBAE_THREADS" w1 main --seed "$s"
    ceiling w1 256
    pytorch "$best" w1 main --seed "$s"
    ceiling w1 256
    peak_next_to w1
  done
}

bench_w2() {
  local r c
  for ((r = 1; r <= REPS; r++)); do
    ceiling w2 32
    libae "$LIBAE_THREADS" w2 "main-t$LIBAE_THREADS"
    ceiling w2 32
    libae 1 w2 main-t1
    for c in "${TORCH_CONFIGS[@]}"; do pytorch "$c" w2 "main-$c"; done
  done
}

# W3: one epoch of the seed convolutional denoising autoencoder per
# configuration, tested on 2,000 images (the speed is the point here).
bench_w3() {
  local r c rows=(--train-rows "$W3_ROWS" --test-rows 2000)
  for ((r = 1; r <= REPS; r++)); do
    libae "$LIBAE_THREADS" w3 "main-t$LIBAE_THREADS" "${rows[@]}"
    libae 1 w3 main-t1 "${rows[@]}"
    for c in "${TORCH_CONFIGS[@]}"; do pytorch "$c" w3 "main-$c" "${rows[@]}"; done
  done
}

# scale_point TAG ARGS...: one epoch of the W1 model varied by ARGS, libae
# and PyTorch at 1 and 2 threads.
scale_point() {
  local tag=$1 t
  shift
  for t in 1 "$LIBAE_THREADS"; do libae "$t" w1 "$tag" --epochs 1 --test-rows 1000 "$@"; done
  for t in t1 t2; do pytorch "$t" w1 "$tag" --epochs 1 --test-rows 1000 "$@"; done
}

# Scaling of W1: batch size and encoder width on 10,000 images, then the
# number of images at batch 256.
bench_scaling() {
  local b wd n
  for b in 32 64 128 256 512 1024; do scale_point "scale-batch-$b" --batch "$b" --train-rows 10000; done
  for wd in 256,64,32 512,128,32 1024,256,32 2048,512,32; do
    scale_point "scale-width-$wd" --widths "$wd" --train-rows 10000
  done
  for n in 2500 5000 10000 20000 40000 60000; do scale_point "scale-rows-$n" --train-rows "$n"; done
}

bench_w5() {
  local c onnx=()
  if "$PY" -c 'import onnxruntime, onnx' 2>/dev/null; then onnx=(--onnx); fi
  # the forward products of the encoder at libae's 256-row inference chunks
  log "sgemm   w5 encoder forward threads=$LIBAE_THREADS  (load $(cut -d' ' -f1-3 /proc/loadavg))"
  OPENBLAS_NUM_THREADS=$LIBAE_THREADS "$BUILD/bench/sgemm_ceiling" --forward 1 --batch 256 \
    --widths 784,512,128,32 --workload w5 --tag ceiling --reps 5 --steps 50 >>"$OUT" 2>>"$LOG"
  peak_next_to w5
  libae "$LIBAE_THREADS" w5 "main-t$LIBAE_THREADS" --train-rows 10000
  libae 1 w5 main-t1 --train-rows 10000
  for c in "${TORCH_CONFIGS[@]}"; do pytorch "$c" w5 "main-$c" --train-rows 10000 "${onnx[@]}"; done
  peak_next_to w5
}

bench_sgemm() {
  local r t b
  for ((r = 1; r <= REPS; r++)); do
    for b in 256 32; do
      for t in "$LIBAE_THREADS" 1; do
        log "sgemm   batch $b threads=$t  (load $(cut -d' ' -f1-3 /proc/loadavg))"
        OPENBLAS_NUM_THREADS=$t "$BUILD/bench/sgemm_ceiling" --batch "$b" \
          --tag "w1-b$b-t$t" >>"$OUT" 2>>"$LOG"
      done
    done
  done
}

# The machine's peak float32 rate (bench/fma_peak.c), on every core and on one.
bench_peak() {
  local r t
  [[ -x $BUILD/bench/fma_peak ]] || { log "peak: not measured on $(uname -m)"; return 0; }
  for ((r = 1; r <= REPS; r++)); do
    for t in $(printf '%s\n' "$NPROC" 1 | sort -un); do
      log "peak    threads=$t  (load $(cut -d' ' -f1-3 /proc/loadavg))"
      "$BUILD/bench/fma_peak" --threads "$t" >>"$OUT" 2>>"$LOG" || log "fma_peak failed (see $LOG)"
    done
  done
}

setup_venv "$@"
build
mkdir -p "$RUN_DIR"
log "results: $OUT (progress: $LOG)"
"$PY" "$ROOT/bench/report.py" --meta "$QUICK" "$@" >"$RUN_DIR/meta.json"
for w in "$@"; do
  log "== $w"
  "bench_$w"
done
log "done"
report=(--print)
if [[ $QUICK == 1 ]]; then report+=(--quick); fi
if [[ ${BENCH_NO_REPORT:-0} != 1 && $QUICK != 1 ]]; then report+=(--write "$ROOT/bench/RESULTS.md"); fi
"$PY" "$ROOT/bench/report.py" "${report[@]}" "$BUILD/results"
