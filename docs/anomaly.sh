#!/bin/bash
# docs/anomaly.sh -- anomaly detection end to end with the `ae` command (see
# docs/ANOMALY.md): train on five Fashion-MNIST classes only, score the whole
# test set, and measure how well the score tells the five unseen classes from
# the seen ones (ROC AUC). Run from the repository root after building:
#   bash docs/anomaly.sh [extra ae train options, e.g. --epochs 3]
# AE names the program (default build/src/cli/ae), OUT the output folder.
set -euo pipefail
AE=${AE:-build/src/cli/ae}
OUT=${OUT:-build/anomaly}
DATA=/usr/share/datasets/fashion-mnist
mkdir -p "$OUT"

# 1. Train on T-shirt/top, trouser, pullover, dress and coat (labels 0-4) of
#    the 60 000 training images; the test error is measured on the test
#    images of the same classes.
"$AE" train -o "$OUT/normal.ae" --classes 0-4 --png "$OUT/normal.png" --force "$@"

# 2. Score all 10 000 test images: the reconstruction error of each. Flag
#    those above the training scores' mean + 3 standard deviations, and report
#    the ROC AUC of the score for telling sandal, shirt, sneaker, bag and ankle
#    boot (5-9, never seen in training) from the seen classes.
"$AE" score "$OUT/normal.ae" "$DATA/t10k-images-idx3-ubyte.gz" \
  --labels "$DATA/t10k-labels-idx1-ubyte.gz" --normal-classes 0-4 --auc \
  --sigma 3 -o "$OUT/scores.npy" --flags "$OUT/flags.npy" --force
