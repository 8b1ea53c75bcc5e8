#!/usr/bin/env bash
# The whole "Specialized SR-GAN" study, end to end:
#   1. init (MSE only) on DIV2K            -> $CKPT/init/
#   2. adversarial (SRGAN) on DIV2K        -> $CKPT/srgan/
#   3. specialise srgan to every class     -> $CKPT/<class>/   (last layer only)
#   4. the model-by-class loss matrix      -> $OUT/
#
# Usage:  [TRAIN_FLAGS="..."] bash flags/study.sh [extra main.py flags...]
# Environment (defaults in brackets):
#   DIV2K       DIV2K HR images              [data/DIV2K_train_HR]
#   LANDSCAPES  landscape pictures           [data/landscapes]
#   CLASSES     classes to specialise to     [general mountain desert sea beach island]
#   CKPT        run folders                  [checkpoints/study]
#   OUT         evaluation outputs           [results/study]
#   TRAIN_FLAGS flags for the training steps only (e.g. --precision=mixed_bfloat16)  []
# Extra flags go to every step, evaluation included (e.g. --n_res_blocks=8 --protocol=paper);
# a training setting there is refused by the evaluation step, naming it (main.py refuses
# every flag a mode would ignore): put those in TRAIN_FLAGS. Every step resumes where it
# stopped, so rerunning the script after an interruption continues the study.
set -euo pipefail
cd "$(dirname "$0")/.."

DIV2K=${DIV2K:-data/DIV2K_train_HR}
LANDSCAPES=${LANDSCAPES:-data/landscapes}
CLASSES=${CLASSES:-general mountain desert sea beach island}
CKPT=${CKPT:-checkpoints/study}
OUT=${OUT:-results/study}
read -r -a TRAIN <<< "${TRAIN_FLAGS:-}"

python main.py --flagfile=flags/div2k_init.cfg --data_dir="$DIV2K" --checkpoint_dir="$CKPT" "${TRAIN[@]}" "$@"
python main.py --flagfile=flags/div2k_adversarial.cfg --data_dir="$DIV2K" --checkpoint_dir="$CKPT" \
  "${TRAIN[@]}" "$@"
for cls in $CLASSES; do
  python main.py --flagfile=flags/specialize.cfg --g_weights="$CKPT/srgan/g.weights.h5" \
    --data_dir="$LANDSCAPES" --cls="$cls" --checkpoint_dir="$CKPT" "${TRAIN[@]}" "$@"
done
# Every $CKPT/*/g.weights.h5 (init, srgan and each class) against bicubic, on every class.
python main.py --mode=evaluate --data_dir="$LANDSCAPES" --checkpoint_dir="$CKPT" --output="$OUT" "$@"
