#!/bin/bash
# cli_test.sh CASE -- one case of the tests of the `ae` command, run by ctest
# (tests/cli/CMakeLists.txt). Environment: AE, the program; HELPER,
# cli_helper; WORK, whose data/ holds the files `cli_helper make` wrote. Each
# case works in WORK/CASE. Exits 0 on success, 77 to skip, 1 on failure with
# a message saying what failed.
set -euo pipefail
name=$1
D=$WORK/data
T=$WORK/$name
rm -rf "$T"
mkdir -p "$T"
cd "$T"

fail() {
  echo "FAIL ($name): $*" >&2
  exit 1
}

# run RC CMD...: runs CMD, stdout to out.txt, stderr to err.txt; fails unless
# it exits RC (and always when a signal killed it: a crash).
run() {
  local want=$1 rc=0
  shift
  "$@" >out.txt 2>err.txt || rc=$?
  if [ "$rc" -ge 128 ]; then
    cat err.txt >&2
    fail "killed by signal $((rc - 128)): $*"
  fi
  if [ "$rc" -ne "$want" ]; then
    cat out.txt err.txt >&2
    fail "exit status $rc, expected $want: $*"
  fi
}

# refuses RC PATTERN CMD...: CMD exits RC with one line on stderr, starting
# "ae" and matching PATTERN (grep -E).
refuses() {
  local want=$1 pattern=$2
  shift 2
  run "$want" "$@"
  [ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt >&2; fail "not a one-line message: $*"; }
  grep -q '^ae' err.txt || fail "message does not start with 'ae': $(cat err.txt)"
  grep -Eq -- "$pattern" err.txt || fail "message '$(cat err.txt)' does not match '$pattern'"
}

# contains TEXT [FILE]: FILE (out.txt) has TEXT (fixed string).
contains() {
  grep -Fq -- "$1" "${2:-out.txt}" || { cat "${2:-out.txt}" >&2; fail "no '$1' in ${2:-out.txt}"; }
}

npy_is() {
  local got
  got=$("$HELPER" npy "$1") || fail "$1 is not a readable .npy"
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

png_is() {
  "$HELPER" png "$1" "$2" "$3" >png.txt 2>&1 || fail "$1 is not a valid PNG of $2x$3: $(cat png.txt)"
}

same() {
  "$HELPER" same "$1" "$2" "$3" >same.txt 2>&1 || fail "$1 and $2 differ: $(cat same.txt)"
}

no_temp_files() {
  if ls -a | grep -q '\.tmp-'; then fail "temporary files left: $(ls -a | grep '\.tmp-')"; fi
}

SPEC="input {D}; dense 12 relu; code 4 linear; mirror sigmoid"
SPEC2="input {D}; dense 12 relu; code 2 linear; mirror sigmoid"

# train_small MODEL [OPTIONS...]: a small model on x.f4.npy (240 rows, 16 values).
train_small() {
  local model=$1
  shift
  run 0 "$AE" train "$D/x.f4.npy" -o "$model" --spec "$SPEC" --epochs 2 --batch-size 32 -q "$@"
}

case_help() {
  run 0 "$AE" --help
  contains "usage: ae COMMAND"
  for c in train encode decode reconstruct score sample info; do contains "  $c "; done
  for c in train encode decode reconstruct score sample info; do
    run 0 "$AE" "$c" --help
    contains "usage: ae $c"
    contains "--help"
    if awk 'length > 79' out.txt | grep -q .; then fail "ae $c --help has lines over 79 columns"; fi
    run 0 "$AE" help "$c"
    contains "usage: ae $c"
  done
  run 0 "$AE" train --help
  for o in epochs batch-size shuffle validation-split patience progress-every optimizer lr \
    momentum beta1 beta2 adam-epsilon loss loss-reduction l2 kind spec code-size seed labels \
    classes test test-labels test-split train-rows test-rows no-scale standardize png codes-png \
    samples-png image-shape no-stats json force quiet threads output; do
    contains "--$o "
  done
  for k in plain sparse denoising contractive variational convolutional; do contains "  $k "; done
  contains "(default 0.001; 0 to 10)"
  run 0 "$AE" --version
  contains "ae 0."
  contains "(libae 0."
  run 2 "$AE"
  contains "usage: ae COMMAND" err.txt
  refuses 2 "unknown command 'bogus'" "$AE" bogus
  refuses 2 "unknown option '--bogus'" "$AE" train --bogus
  refuses 2 "unknown option '-z'" "$AE" encode -z
  refuses 2 "'--epochs' needs a value" "$AE" train --epochs
  refuses 2 "'fast' is not a number" "$AE" train --lr fast
  refuses 2 "'x' is not a whole number" "$AE" train --seed x
  refuses 2 "missing arguments" "$AE" encode only-one-argument
  refuses 2 "unexpected argument" "$AE" info a b
}

case_formats() {
  train_small m.ae --test-split 0.25
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o ref.npy
  npy_is ref.npy "<f4 240 4"
  # every format and dtype holds the same values: the same codes
  for f in x.f8.npy x.u1.npy x.v2.npy x.idx x.idx.gz x.csv; do
    run 0 "$AE" encode m.ae "$D/$f" -o "codes-$f.npy"
    same ref.npy "codes-$f.npy" 1e-5
  done
  # uint8 unscaled are other values
  run 0 "$AE" encode m.ae "$D/x.u1.npy" --no-scale -o raw.npy
  if "$HELPER" same ref.npy raw.npy 1e-3 >/dev/null; then fail "--no-scale changed nothing"; fi
  # training reads every format too
  for f in x.f8.npy x.u1.npy x.idx.gz x.csv; do
    run 0 "$AE" train "$D/$f" -o "m-$f.ae" --spec "$SPEC" --epochs 1 -q --json
    contains '"train_rows": 216'
  done
  # CSV out, by name or by --csv; --rows
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o codes.csv
  [ "$(wc -l <codes.csv)" -eq 240 ] || fail "codes.csv has $(wc -l <codes.csv) lines"
  [ "$(head -1 codes.csv | tr ',' '\n' | wc -l)" -eq 4 ] || fail "codes.csv rows are not 4 values"
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o forced.npy --csv --rows 10
  [ "$(wc -l <forced.npy)" -eq 10 ] || fail "--csv --rows 10 did not write 10 CSV lines"
  run 0 "$AE" encode m.ae "$D/x.idx.gz" -o ten.npy --rows 10
  npy_is ten.npy "<f4 10 4"
}

case_labels() {
  for l in labels.idx.gz labels.npy labels.csv; do
    train_small "m-$l.ae" --labels "$D/$l" --classes 0,1 --test-split 0.2 --json
    contains '"train_rows": 96'
    contains '"test_rows": 24'
  done
  train_small m-range.ae --labels "$D/labels.npy" --classes 1-3 --test-split 0.2 --json
  contains '"train_rows": 144'
  refuses 2 "not a list" "$AE" train "$D/x.f4.npy" --labels "$D/labels.npy" --classes 1-
  refuses 2 "--classes needs the labels" "$AE" train "$D/x.f4.npy" --classes 0
  refuses 1 "has 200 labels for the 240 rows" \
    "$AE" train "$D/x.f4.npy" --labels "$D/fashion/train-labels-idx1-ubyte.gz"
  # under a row limit too: the files' own counts differ
  refuses 1 "has 200 labels for the 240 rows" "$AE" train "$D/x.f4.npy" --train-rows 10 \
    --labels "$D/fashion/train-labels-idx1-ubyte.gz"
  refuses 1 "has 200 labels for the 240 rows" "$AE" score m-range.ae "$D/x.f4.npy" --rows 10 \
    --labels "$D/fashion/train-labels-idx1-ubyte.gz" --normal-classes 0
  # a CSV read in part says nothing of its length: the rows read are compared
  train_small m-csv.ae --labels "$D/labels.csv" --classes 0,1 --train-rows 100 --test-split 0.2
  refuses 1 "no row of the classes" "$AE" train "$D/x.f4.npy" --labels "$D/labels.npy" --classes 7
  refuses 1 "labels need one" "$AE" train "$D/x.f4.npy" --labels "$D/x.f4.npy" --classes 0
}

case_commands() {
  train_small m.ae --test-split 0.25 --validation-split 0.2
  contains "test reconstruction error, MSE per value: autoencoder"
  contains "PCA with 4 components"
  contains "180 training rows of 16 values"
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o codes.npy
  npy_is codes.npy "<f4 240 4"
  contains "240 codes of 4 values -> codes.npy" err.txt
  run 0 "$AE" decode m.ae codes.npy -o decoded.npy
  npy_is decoded.npy "<f4 240 16"
  run 0 "$AE" reconstruct m.ae "$D/x.f4.npy" -o rec.npy -q
  [ ! -s err.txt ] || fail "-q printed on stderr"
  npy_is rec.npy "<f4 240 16"
  same decoded.npy rec.npy 1e-6
  run 0 "$AE" reconstruct m.ae "$D/x.csv" -o rec.csv
  [ "$(wc -l <rec.csv)" -eq 240 ] || fail "rec.csv has $(wc -l <rec.csv) lines"
  run 0 "$AE" info m.ae
  contains "  input 16"
  contains "  code 4 linear"
  contains "input 16 values, code 4, output 16"
  contains "epochs trained: 2"
  contains "--epochs             2"
  contains "--batch-size         32"
  contains "--validation-split   0.2"
  contains "input standardisation: none"
  contains "training rows' scores (m.ae.stats): 180 rows"
  run 0 "$AE" info m.ae --json
  contains '"epochs_trained": 2'
  contains '"history": [{"epoch": 1, "train_loss": 0.'
  contains '{"epoch": 2, '
  if grep -q '"validation_loss": null' out.txt; then fail "no validation loss in the history"; fi
  contains '"optimizer": "adam"'
  # training more on the same model file is a second run with --force
  train_small m2.ae --test-split 0.25 --epochs 3 --optimizer sgd --lr 0.05 --loss bce --json
  contains '"epochs": 3'
  contains '"loss": "bce"'
  run 0 "$AE" info m2.ae
  contains "--optimizer          sgd"
  contains "--loss               bce"
}

case_score() {
  train_small m.ae --test-split 0.25
  run 0 "$AE" score m.ae "$D/x.f4.npy" -o s.npy
  npy_is s.npy "<f4 240 0"
  contains "240 scores (mse per value): mean"
  run 0 "$AE" score m.ae "$D/x.f4.npy" -o s.csv
  run 0 "$AE" score m.ae "$D/x.f4.npy" -o e.csv --per-value
  [ "$(head -1 e.csv | tr ',' '\n' | wc -l)" -eq 16 ] || fail "--per-value rows are not 16 values"
  # the mean of a row's per-value errors is its score
  awk -F, -v s="$(head -1 s.csv)" 'NR == 1 { t = 0; for (i = 1; i <= NF; i++) t += $i;
    m = t / NF; d = m - s; if (d < 0) d = -d; exit !(d <= 1e-5 * (s > 1e-3 ? s : 1e-3)) }' e.csv ||
    fail "per-value errors do not average to the score"
  run 0 "$AE" score m.ae "$D/x.f4.npy" --threshold 0 --flags f.npy
  npy_is f.npy "|u1 240 0"
  contains "threshold 0 (given): 240 of 240 rows flagged"
  run 0 "$AE" score m.ae "$D/x.f4.npy" --threshold 1e9 --flags f.csv
  [ "$(sort -u f.csv)" = "0" ] || fail "flags above a huge threshold are not all 0"
  run 0 "$AE" score m.ae "$D/x.f4.npy" --sigma 3
  contains "x std"
  contains "of 180 training rows' scores"
  run 0 "$AE" score m.ae "$D/x.f4.npy" --contamination 0.1 --json
  contains '"threshold_rule": "flags a fraction 0.1 of 180 training rows"'
  contains '"flagged": '
  # --train-data gives the same statistics as MODEL.stats for the same rows
  run 0 "$AE" score m.ae "$D/x.f4.npy" --sigma 2 --train-data "$D/x.f4.npy" --json
  contains "of 240 training rows"
  refuses 2 "one of --threshold" "$AE" score m.ae "$D/x.f4.npy" --threshold 1 --sigma 2
  refuses 2 "--flags needs" "$AE" score m.ae "$D/x.f4.npy" --flags g.npy
  refuses 2 "outside \(0, 1\)" "$AE" score m.ae "$D/x.f4.npy" --contamination 2
  refuses 2 "--per-value needs -o" "$AE" score m.ae "$D/x.f4.npy" --per-value
  # statistics of another model are refused; without any, --train-data is the way
  train_small other.ae --test-split 0.25 --seed 7
  cp other.ae.stats m.ae.stats
  refuses 1 "another version of 'm.ae'" "$AE" score m.ae "$D/x.f4.npy" --sigma 3
  rm m.ae.stats
  refuses 1 "cannot read 'm.ae.stats'.*--train-data" "$AE" score m.ae "$D/x.f4.npy" --sigma 3
  echo "garbage" >m.ae.stats
  refuses 1 "not a training statistics file" "$AE" score m.ae "$D/x.f4.npy" --sigma 3
  run 0 "$AE" info m.ae
  contains "training rows' scores: none (m.ae.stats: not a statistics file)"
}

case_anomaly() {
  # trained on classes 0 and 1 only, the scores tell 2 and 3 apart
  run 0 "$AE" train "$D/x.u1.npy" --labels "$D/labels.npy" --classes 0,1 -o m.ae \
    --spec "$SPEC2" --epochs 40 --batch-size 16 --test-split 0.2 -q
  run 0 "$AE" score m.ae "$D/x.idx.gz" --labels "$D/labels.idx.gz" --normal-classes 0,1 --auc \
    --sigma 3 --json
  local auc
  auc=$(sed -n 's/.*"auc": \([0-9.e-]*\).*/\1/p' out.txt)
  [ -n "$auc" ] || fail "no AUC in $(cat out.txt)"
  awk -v a="$auc" 'BEGIN { exit !(a > 0.9 && a <= 1) }' || fail "AUC $auc is not above 0.9"
  contains '"anomalous_rows": 120'
  run 0 "$AE" score m.ae "$D/x.u1.npy" --labels "$D/labels.csv" --normal-classes 0,1
  contains "ROC AUC"
  contains "for telling the 120 rows of other classes from the 120 of classes 0,1"
  refuses 2 "--auc needs --labels" "$AE" score m.ae "$D/x.u1.npy" --auc
  refuses 1 "both kinds" "$AE" score m.ae "$D/x.u1.npy" --labels "$D/labels.npy" --normal-classes 0-3
}

case_pictures() {
  train_small m.ae --test-split 0.25 --png grid.png
  png_is grid.png 162 52 # 32 images of 4x4 at 2x, in two bands of originals over reconstructions
  run 0 "$AE" reconstruct m.ae "$D/x.f4.npy" --png r.png
  png_is r.png 162 52
  run 0 "$AE" reconstruct m.ae "$D/x.f4.npy" --rows 5 --png r5.png -o r5.npy
  png_is r5.png 52 24
  run 0 "$AE" reconstruct m.ae "$D/x.f4.npy" --png r28.png --image-shape 2x8
  png_is r28.png 290 36
  refuses 2 "does not hold the 16 values" "$AE" reconstruct m.ae "$D/x.f4.npy" --png r33.png \
    --image-shape 3x3
  refuses 2 "not an image shape" "$AE" reconstruct m.ae "$D/x.f4.npy" --png r33.png --image-shape 4
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o codes.npy
  run 0 "$AE" decode m.ae codes.npy --png d.png
  png_is d.png 162 32
  # codes of 2 values: scatter plots, with a legend when labels are given
  run 0 "$AE" train "$D/x.f4.npy" -o m2.ae --spec "$SPEC2" --epochs 2 -q --labels "$D/labels.npy" \
    --codes-png c.png --test-split 0.25
  png_is c.png 858 768
  run 0 "$AE" encode m2.ae "$D/x.idx" --png e.png
  png_is e.png 768 768
  run 0 "$AE" encode m2.ae "$D/x.idx" --png el.png --labels "$D/labels.idx.gz"
  png_is el.png 858 768
  refuses 1 "draws codes of 2 values" "$AE" encode m.ae "$D/x.f4.npy" --png e4.png
  refuses 2 "--codes-png draws codes of 2 values" "$AE" train "$D/x.f4.npy" --codes-png c4.png \
    --spec "$SPEC"
  # a denoising model: clean, corrupted and denoised rows
  run 0 "$AE" train "$D/x.f4.npy" -o dn.ae --kind denoising --code-size 4 --epochs 1 -q \
    --png dn.png --test-split 0.25
  png_is dn.png 162 72
  no_temp_files
}

case_kinds() {
  for k in plain sparse denoising contractive variational convolutional; do
    run 0 "$AE" train "$D/x.u1.npy" -o "$k.ae" --kind "$k" --code-size 3 --epochs 1 --test-split 0.25
    contains "kind $k"
    contains "codes of 3 values"
  done
  run 0 "$AE" info contractive.ae
  contains "--loss-reduction     sum"
  run 0 "$AE" info variational.ae
  contains "gaussian 3"
  contains "--loss               bce"
  run 0 "$AE" info convolutional.ae
  contains "input 1x4x4"
  # a convolutional spec needs images: flat rows are square, or --image-shape
  run 0 "$AE" train "$D/x.csv" -o c2.ae --kind convolutional --epochs 1 -q --test-split 0.25
  run 0 "$AE" info c2.ae
  contains "input 1x4x4"
  refuses 1 "^ae train: --spec: .*1x2x8" "$AE" train "$D/x.csv" -o c4.ae --kind convolutional \
    --image-shape 2x8
  run 0 "$AE" train "$D/x.f4.npy" -o v.ae --kind variational --epochs 1 --test-split 0.25 -q \
    --samples-png vs.png
  contains "test negative ELBO"
  png_is vs.png 162 32
  run 0 "$AE" sample v.ae -n 5 -o s.npy --png s.png --seed 3
  npy_is s.npy "<f4 5 16"
  png_is s.png 52 14
  run 0 "$AE" sample v.ae -n 5 -o s2.npy --seed 3
  same s.npy s2.npy 0
  refuses 1 "variational" "$AE" sample plain.ae -o p.npy
  refuses 2 "nothing to write" "$AE" sample v.ae
  refuses 2 "--samples-png needs a variational model" "$AE" train "$D/x.f4.npy" --samples-png p.png
  refuses 2 "unknown kind 'fancy'" "$AE" train "$D/x.f4.npy" --kind fancy
  refuses 2 "--code-size sets \{K\}, which --spec does not use" "$AE" train "$D/x.f4.npy" \
    --spec "$SPEC" --code-size 3
  run 0 "$AE" train "$D/x.f4.npy" -o k3.ae --spec "input {D}; code {K} linear; mirror sigmoid" \
    --code-size 3 --epochs 1 -q
  run 0 "$AE" info k3.ae
  contains "code 3 linear"
}

case_standardize() {
  train_small m.ae --test-split 0.25 --standardize
  run 0 "$AE" info m.ae
  contains "input standardisation: per column"
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o c.npy
  npy_is c.npy "<f4 240 4"
  run 0 "$AE" info m.ae --json
  contains '"standardized": true'
}

case_default_data() {
  # a stand-in for Debian's Fashion-MNIST: 200 + 100 images of 28x28
  export AE_FASHION_DIR=$D/fashion
  run 0 "$AE" train -o m.ae --code-size 2 --epochs 1 -q --png g.png --codes-png c.png
  contains "200 training rows of 784 values from $D/fashion/train-images-idx3-ubyte.gz"
  contains "100 test rows from $D/fashion/t10k-images-idx3-ubyte.gz"
  contains "PCA with 2 components"
  png_is g.png 930 244
  png_is c.png 858 768
  run 0 "$AE" train -o m2.ae --classes 0,1 --epochs 1 -q --json
  contains '"train_rows": 100'
  contains '"test_rows": 50'
  AE_FASHION_DIR=$T/nowhere refuses 1 "cannot open '$T/nowhere/train-images-idx3-ubyte.gz'" \
    "$AE" train -o m3.ae
}

case_bad_input() {
  train_small m.ae --test-split 0.25
  local enc=("$AE" encode m.ae)
  refuses 1 "cannot open '$D/missing.npy': No such file" "${enc[@]}" "$D/missing.npy" -o o.npy
  refuses 1 "is a directory" "${enc[@]}" "$D" -o o.npy
  refuses 1 "unknown format" "${enc[@]}" "$D/unknown.bin" -o o.npy
  refuses 1 "Fortran order" "${enc[@]}" "$D/fortran.npy" -o o.npy
  refuses 1 "dtype '<i4' is not supported" "${enc[@]}" "$D/int32.npy" -o o.npy
  refuses 1 "truncated" "${enc[@]}" "$D/truncated.npy" -o o.npy
  refuses 1 "truncated" "${enc[@]}" "$D/short.idx.gz" -o o.npy
  refuses 1 "line 2 has 2 values, the first row 3" "${enc[@]}" "$D/ragged.csv" -o o.npy
  refuses 1 "line 3, value 2: 'oops' is not a finite number" "${enc[@]}" "$D/words.csv" -o o.npy
  refuses 1 "is empty" "${enc[@]}" "$D/empty.csv" -o o.npy
  refuses 1 "has 17 values per row; model 'm.ae' takes rows of 16" "${enc[@]}" "$D/wide.f4.npy" -o o.npy
  refuses 1 "has 16 values per row; model 'm.ae' takes codes of 4" \
    "$AE" decode m.ae "$D/x.f4.npy" -o o.npy
  refuses 1 "model '$D/not-a-model.ae'" "$AE" encode "$D/not-a-model.ae" "$D/x.f4.npy" -o o.npy
  refuses 1 "cannot open model 'missing.ae'" "$AE" info missing.ae
  refuses 1 "has 17 values per row" "$AE" score m.ae "$D/wide.f4.npy"
  refuses 2 "nothing to write" "${enc[@]}" "$D/x.f4.npy"
  [ ! -e o.npy ] || fail "a failed command wrote o.npy"
  # training
  refuses 2 "takes rows of 3 values, the data have 16" "$AE" train "$D/x.f4.npy" \
    --spec "input 3; code 2 linear; mirror sigmoid"
  refuses 1 "^ae train: --spec: " "$AE" train "$D/x.f4.npy" --spec "input {D}; dense 0 relu"
  refuses 2 "--lr 20: .*outside" "$AE" train "$D/x.f4.npy" --lr 20
  refuses 2 "--epochs 1.5: .*whole" "$AE" train "$D/x.f4.npy" --epochs 1.5
  refuses 2 "'hinge' is not one of mse, bce" "$AE" train "$D/x.f4.npy" --loss hinge
  refuses 2 "test split of 0 of 240 rows" "$AE" train "$D/x.f4.npy" --test-split 0
  refuses 1 "training: " "$AE" train "$D/x.u1.npy" --no-scale --loss bce --epochs 1
  refuses 1 "training: .*PATIENCE" "$AE" train "$D/x.f4.npy" --patience 2 --epochs 1
  refuses 2 "--threads 0.5|not a whole number" "$AE" train "$D/x.f4.npy" --threads 0.5
  refuses 2 "--threads -1 is outside" "$AE" train "$D/x.f4.npy" --threads -1
  [ ! -e model.ae ] || fail "a failed training wrote model.ae"
  no_temp_files
}

case_outputs() {
  train_small m.ae --test-split 0.25
  [ -s m.ae ] && [ -s m.ae.stats ] || fail "no model or statistics file"
  run 0 "$AE" encode m.ae "$D/x.f4.npy" -o c.npy
  local before
  before=$(cksum <c.npy)
  refuses 1 "'c.npy' exists; add --force to replace it" "$AE" encode m.ae "$D/x.idx" -o c.npy
  [ "$(cksum <c.npy)" = "$before" ] || fail "a refused command changed c.npy"
  run 0 "$AE" encode m.ae "$D/x.u1.npy" --no-scale -o c.npy --force
  [ "$(cksum <c.npy)" != "$before" ] || fail "--force did not replace c.npy"
  before=$(cksum <m.ae)
  refuses 1 "'m.ae' exists" "$AE" train "$D/x.f4.npy" -o m.ae --spec "$SPEC"
  [ "$(cksum <m.ae)" = "$before" ] || fail "a refused training changed m.ae"
  rm m.ae
  refuses 1 "'m.ae.stats' exists" "$AE" train "$D/x.f4.npy" -o m.ae --spec "$SPEC"
  train_small m.ae --test-split 0.25 --force --seed 5
  run 0 "$AE" score m.ae "$D/x.f4.npy" --sigma 3
  train_small nostats.ae --test-split 0.25 --no-stats
  [ ! -e nostats.ae.stats ] || fail "--no-stats wrote statistics"
  refuses 1 "directory 'nowhere' does not exist" "$AE" encode m.ae "$D/x.f4.npy" -o nowhere/c.npy
  mkdir adir
  refuses 1 "output 'adir' is a directory" "$AE" encode m.ae "$D/x.f4.npy" -o adir --force
  refuses 1 "'c.npy' exists" "$AE" score m.ae "$D/x.f4.npy" -o s.npy --threshold 1 --flags c.npy
  [ ! -e s.npy ] || fail "a refused score wrote s.npy"
  # a refused --png, --image-shape or --labels writes no -o file, keeps an old one
  refuses 1 "draws codes of 2 values" "$AE" encode m.ae "$D/x.f4.npy" -o e4.npy --png e4.png
  [ ! -e e4.npy ] || fail "a refused encode wrote e4.npy"
  before=$(cksum <c.npy)
  refuses 1 "draws codes of 2 values" "$AE" encode m.ae "$D/x.f4.npy" -o c.npy --png e4.png --force
  [ "$(cksum <c.npy)" = "$before" ] || fail "a refused encode replaced c.npy"
  refuses 2 "not an image shape" "$AE" reconstruct m.ae "$D/x.f4.npy" -o r.npy --png r.png \
    --image-shape 4
  [ ! -e r.npy ] || fail "a refused reconstruct wrote r.npy"
  refuses 1 "has 200 labels for the 240 rows" "$AE" score m.ae "$D/x.f4.npy" -o s.npy \
    --labels "$D/fashion/train-labels-idx1-ubyte.gz" --normal-classes 0
  [ ! -e s.npy ] || fail "a refused score wrote s.npy"
  no_temp_files
}

case_interrupt() {
  # The first Ctrl-C stops training after the current step; the model is saved.
  "$AE" train "$D/x.f4.npy" -o m.ae --spec "$SPEC" --epochs 1000000 --batch-size 1 \
    --test-split 0.25 >out.txt 2>err.txt &
  local pid=$! rc=0 i
  for i in $(seq 1 300); do
    grep -q "^model:" out.txt && break
    sleep 0.1
  done
  sleep 1
  kill -INT "$pid"
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || { cat err.txt >&2; fail "exit status $rc after Ctrl-C"; }
  contains "stopped by Ctrl-C"
  contains "interrupted" err.txt
  run 0 "$AE" info m.ae
}

case_fashion_subset() {
  local dir=/usr/share/datasets/fashion-mnist
  [ -r "$dir/train-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST in $dir: skipped"; exit 77; }
  run 0 "$AE" train --train-rows 2000 --test-rows 500 --epochs 1 -o m.ae --png g.png -q
  contains "2000 training rows of 784 values"
  contains "PCA with 32 components"
  png_is g.png 930 244
}

"case_$name"
echo "ok: $name"
