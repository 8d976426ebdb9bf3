#!/usr/bin/env bash
# Evaluate every shipped checkpoint next to Telea and NS, one protocol per domain, then write the
# model cards' evaluation sections and RESULTS.md (scripts/publish_results.py).
#
#   bash scripts/evaluate_shipped.sh            # outputs/eval/<set>/ (git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${DATA:-../shared/data}
PY=${PYTHON:-.venv/bin/python}
models_of() {  # shipped checkpoints of one domain, from their config.json
  $PY - "$1" <<'PYEOF'
import sys, inpainting
print(" ".join(e.name for e in inpainting.available_models() if e.kind == "learned" and e.domain == sys.argv[1]))
PYEOF
}
EVAL=($PY -m train.evaluate --masks nvidia --seed 0 --no-progress)
faces=$(models_of faces); scenes=$(models_of scenes); objects=$(models_of objects); photos=$(models_of photos)
[ -n "$faces" ] && "${EVAL[@]}" --models $faces opencv-telea opencv-ns --images $D/celeba/val --size 64 \
  --images-per-bucket 500 --masks-per-image 1 --out outputs/eval/celeba-val-64
[ -n "$scenes" ] && "${EVAL[@]}" --models $scenes opencv-telea opencv-ns --images $D/scenes/val --size 128 \
  --images-per-bucket 18 --masks-per-image 5 --out outputs/eval/scenes-val-128
[ -n "$objects" ] && "${EVAL[@]}" --models $objects opencv-telea opencv-ns --images $D/cifar10/val --size 32 \
  --images-per-bucket 250 --masks-per-image 1 --out outputs/eval/cifar10-val-32
# The reports' own mask kinds: CIFAR-10 lines; GLCIC's 50x50 boxes (at 128 px, scaled) on faces.
[ -n "$objects" ] && $PY -m train.evaluate --models $objects opencv-telea opencv-ns --images $D/cifar10/val --size 32 \
  --masks lines --images-per-bucket 500 --seed 0 --no-progress --out outputs/eval/cifar10-val-32-lines
[ -n "$faces" ] && $PY -m train.evaluate --models $faces opencv-telea opencv-ns --images $D/celeba/val --size 64 \
  --masks center-box boxes celeba-lines --images-per-bucket 250 --seed 0 --no-progress --out outputs/eval/celeba-val-64-reports
# Photos at their own size (what a visitor uploads): every model meant for photos next to the three
# classical methods, NVIDIA masks plus object-sized blobs.
PHOTO_MODELS="$photos $scenes opencv-telea opencv-ns patchmatch"
"${EVAL[@]}" --models $PHOTO_MODELS --images $D/scenes/val --size native --masks nvidia objects \
  --images-per-bucket 18 --examples 6 --out outputs/eval/scenes-val-native
"${EVAL[@]}" --models $PHOTO_MODELS --images $D/photos/val --size native --masks nvidia objects \
  --images-per-bucket 50 --examples 6 --out outputs/eval/photos-val-native
# The Places reports' pairs on photos (issue 14) next to the general photo model and the classical methods,
# at the size they were trained at: photos/val at 256, NVIDIA masks plus object-sized blobs.
PAIRS="pconv-unet-liu-photos pconv-rn-gan-photos unet-mse-photos two-stage-gan-photos"
"${EVAL[@]}" --models $PAIRS pconv-unet-photos opencv-telea opencv-ns patchmatch --images $D/photos/val --size 256 \
  --masks nvidia objects --images-per-bucket 50 --examples 6 --out outputs/eval/photos-val-256
"${EVAL[@]}" --models $PAIRS pconv-unet-photos opencv-telea opencv-ns --images $D/scenes/val --size native \
  --masks nvidia objects --images-per-bucket 18 --examples 4 --out outputs/eval/scenes-val-native-pairs
# The picture of object removal: 8 validation photos with object-sized holes, every photo method's fill.
$PY -m train.evaluate --models $PHOTO_MODELS --images $D/photos/val --size native --masks objects --seed 1 \
  --no-progress --images-per-bucket 8 --examples 8 --out outputs/eval/photos-val-objects
$PY scripts/figure.py outputs/eval/photos-val-objects/examples.png docs/figures/photos-val-objects.jpg
$PY scripts/publish_results.py
