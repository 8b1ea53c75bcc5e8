#!/usr/bin/env bash
# Regenerates the pictures in docs/ with the project's own commands, from the shipped
# generators:
#   0. LR, bicubic, SR and HR crops of a photograph of the photo corpus' test split by the
#      upscale generator alone and as upscale ships it (--mode=compare, the paper protocol; the
#      corpus is built first if missing), and the same for a test-derived stress image
# and a miniature of the study on the built-in sample set:
#   1. specialise the demo generator to each sample class and to the general sample (the last
#      layer re-initialised and trained for 200 steps; MSE phase only, --n_epoch=0, as no VGG
#      weights ship)
#   2. evaluate them all, with the demo generator and bicubic, on every class's held-out images
#   3. copy the comparison figure and the heatmaps here
# Usage: bash docs/make_figures.sh      (about 5 minutes on 2 CPU cores; starts afresh each time)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/sample_study}
OUT=${OUT:-results/sample_study}
DEMO=srgan_tf/pretrained/demo/g.weights.h5
UPSCALE=srgan_tf/pretrained/upscale/g.weights.h5
rm -rf "$RUNS" "$OUT"  # the script's own folders: a rerun must not resume the previous demo's runs

PHOTO=data/photo_corpus/test/picos_de_europa.jpg
[ -f "$PHOTO" ] || python data/make_photo_corpus.py
python main.py --mode=compare --input="$PHOTO" --g_weights="$UPSCALE" --protocol=paper --self_ensemble=1 \
  --back_projection=2 --detail_floor=1.5 --output="$OUT"
cp "$OUT"/picos_de_europa_compare.png docs/

# A test-derived stress image (a test photo with a defocus blur, the kind the colour-robust
# candidate lost to bicubic on) as upscale ships it: bicubic, the generator alone, with its
# one pass, the 2 back-projection steps and the detail gate, HR.
STRESS=data/stress/test/defocus/retina.png
[ -f "$STRESS" ] || python data/make_stress_suite.py
python main.py --mode=compare --input="$STRESS" --g_weights="$UPSCALE" --protocol=paper --self_ensemble=1 \
  --back_projection=2 --detail_floor=1.5 --output="$OUT"
cp "$OUT"/retina_compare.png docs/stress_retina_defocus_compare.png

# docs/evaluation.md's picture of the back-projection default, as it was chosen with the demo:
# a validation photo darkened with gamma 2.0; bicubic, the demo alone, with 2 steps, HR.
STRESS=data/stress/validation/dark/brushes.png
python main.py --mode=compare --input="$STRESS" --g_weights="$DEMO" --protocol=paper \
  --back_projection=2 --output="$OUT"
cp "$OUT"/brushes_compare.png docs/stress_brushes_dark_compare.png

for cls in general photo science texture; do
  python main.py --mode=specialize --cls="$cls" --g_weights="$DEMO" --checkpoint_dir="$RUNS" \
    --n_epoch=0 --n_epoch_init=1000 --max_steps=200 --lr_init=5e-4 --crop_size=96 --batch_size=16 \
    --patches_per_image=32 --brightness_delta=0 --contrast_upper=0 \
    --precision=mixed_bfloat16 --progress=false "$@"
done
python main.py --mode=evaluate --checkpoint_dir="$RUNS" --g_weights="$DEMO" --output="$OUT"
cp "$OUT"/best_worst.png "$OUT"/heatmap_psnr_y.png "$OUT"/heatmap_psnr_y_gain.png docs/
