#!/usr/bin/env bash
# Train every shipped checkpoint with `python -m train` on ../shared/data (train splits; val splits
# for validation), on CPU with time budgets, then copy the model folders into checkpoints/.
#
#   bash scripts/train_shipped.sh [NAME ...]      # default: all; runs/<name>/ keeps logs and state
#
# The exact command of each run is also recorded in its model card. On a GPU, drop --max-minutes
# and raise --steps (and the presets) for better models.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${DATA:-../shared/data}
PY=${PYTHON:-.venv/bin/python}
COMMON=(--no-progress --log-every 50 --seed 0)

declare -A CMD
CMD[pconv-unet-celeba]="--recipe celeba-pconv --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 16 --masks lines-irregular --steps 900 --max-minutes 20 --val-every 300 --checkpoint-every 150 --domain faces --dataset-name CelebA-8500 --description 'PConv U-Net (CelebA report), CelebA faces, line + irregular masks, 64 px'"
CMD[unet-mse-scenes]="--recipe scenes-unet-mse --data $D/scenes/train --val-data $D/scenes/val --preset small --size 128 --batch-size 16 --masks irregular-512 --lr 1e-3 --steps 3000 --max-minutes 22 --val-every 500 --checkpoint-every 250 --domain scenes --dataset-name Urban100+SunHays80 --description 'U-Net generator, MSE only (Places GAN report baseline), scene photos, NVIDIA-like irregular masks, 128 px'"
CMD[conv-autoencoder-cifar10]="--recipe cifar10-autoencoder --data $D/cifar10/train --val-data $D/cifar10/val --steps 1500 --max-minutes 5 --val-every 500 --checkpoint-every 500 --domain objects --dataset-name CIFAR-10-20000 --description 'Blind conv autoencoder (CIFAR-10 report), CIFAR-10, random black lines, 32 px'"
CMD[pconv-unet-cifar10]="--recipe cifar10-pconv --data $D/cifar10/train --val-data $D/cifar10/val --steps 1500 --max-minutes 7 --val-every 500 --checkpoint-every 500 --domain objects --dataset-name CIFAR-10-20000 --description 'Partial-conv autoencoder (CIFAR-10 report), CIFAR-10, random black lines, 32 px'"
CMD[pconv-unet-places-baseline]="--recipe places-pconv-baseline --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 16 --masks irregular-512 --lr 5e-4 --no-perceptual --steps 1400 --max-minutes 15 --val-every 700 --checkpoint-every 200 --domain faces --dataset-name CelebA-8500 --description 'PConv U-Net baseline, Liu et al. loss (Places cGAN report), CelebA faces, irregular masks, 64 px'"
CMD[pconv-rn-gan-celeba]="--recipe places-pconv-rn-gan --data $D/celeba/train --val-data $D/celeba/val --preset small --model-option norm=region --size 64 --batch-size 16 --masks irregular-512 --lr 5e-4 --no-perceptual --steps 1400 --max-minutes 15 --val-every 700 --checkpoint-every 200 --domain faces --dataset-name CelebA-8500 --description 'PConv U-Net + Region Normalization + PatchGAN cGAN (Places cGAN report), CelebA faces, irregular masks, 64 px'"
CMD[glcic-masked-mse-celeba]="--recipe glcic --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 16 --steps 500 --max-minutes 7 --val-every 250 --checkpoint-every 125 --domain faces --dataset-name CelebA-8500 --description 'GLCIC completion network, masked MSE + global/local discriminators (GLCIC report), CelebA, box holes, 64 px'"
CMD[glcic-global-mse-celeba]="--recipe glcic-global-mse --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 16 --steps 500 --max-minutes 7 --val-every 250 --checkpoint-every 125 --domain faces --dataset-name CelebA-8500 --description 'GLCIC completion network with the report global-MSE fix + global/local discriminators, CelebA, box holes, 64 px'"
CMD[two-stage-gan-scenes]="--recipe scenes-two-stage --data $D/scenes/train --val-data $D/scenes/val --preset small --size 128 --batch-size 16 --steps 400 --max-minutes 10 --val-every 200 --checkpoint-every 100 --domain scenes --dataset-name Urban100+SunHays80 --description 'Two-stage coarse-to-refine GAN with local+global discriminators (Places GAN report), scene photos, shape masks, 128 px'"
CMD[lama-ffc-celeba]="--recipe lama-ffc --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 8 --masks irregular-512 --steps 1000 --max-minutes 8 --val-every 500 --checkpoint-every 250 --domain faces --dataset-name CelebA-8500 --description 'LaMa-style Fourier-convolution generator (masked L1 + NS-GAN/R1 + feature matching), CelebA faces, irregular masks, 64 px'"
# Transfer: the scene PConv starts from the shipped face model (same architecture and preset).
CMD[pconv-unet-scenes]="--recipe places-pconv-baseline --init-from pconv-unet-places-baseline --data $D/scenes/train --val-data $D/scenes/val --preset small --size 128 --batch-size 16 --masks irregular-512 --crop-scales 1,2,3,4.5 --lr 5e-4 --no-perceptual --loss ssim=1 --steps 20000 --max-minutes 55 --val-every 1000 --val-images 18 --checkpoint-every 200 --domain scenes --dataset-name Urban100+SunHays80 --description 'PConv U-Net, Liu et al. L1/TV loss plus SSIM, scene photos, NVIDIA-like irregular masks, 128 px'"
# The two-stage GAN continued so that its budget is close to the U-Net MSE baseline's (the report pair).
CMD[two-stage-gan-scenes:continue]="${CMD[two-stage-gan-scenes]/--steps 400 --max-minutes 10/--steps 3000 --max-minutes 14} --resume"
CMD[pconv-unet-scenes:finetune]="${CMD[pconv-unet-scenes]/--lr 5e-4 --no-perceptual --loss ssim=1 --steps 20000 --max-minutes 55/--lr 5e-5 --freeze-encoder-norm --no-perceptual --loss ssim=1 --steps 20000 --max-minutes 12} --resume"

# Second sessions: the same run continued with --resume (step, optimiser and RNG state), for the
# face model that carries the quality bar.
CMD[pconv-unet-places-baseline:continue]="${CMD[pconv-unet-places-baseline]/--steps 1400 --max-minutes 15/--steps 4000 --max-minutes 22} --resume"
CMD[pconv-unet-places-baseline:continue2]="${CMD[pconv-unet-places-baseline]/--steps 1400 --max-minutes 15/--steps 4000 --max-minutes 12} --resume"
# Third session: fine-tuned with an SSIM term (1 - SSIM of the composite) on top of Liu et al.'s L1/TV
# loss, then with a lower learning rate and a heavier SSIM weight, then Liu et al.'s fine-tuning stage
# (encoder batch norm frozen, lr 5e-5).
CMD[pconv-unet-places-baseline:ssim]="${CMD[pconv-unet-places-baseline]/--steps 1400 --max-minutes 15 --val-every 700/--steps 12000 --max-minutes 55 --val-every 1000} --loss ssim=1 --resume"
CMD[pconv-unet-places-baseline:finetune]="--recipe places-pconv-baseline --data $D/celeba/train --val-data $D/celeba/val --preset small --size 64 --batch-size 16 --masks irregular-512 --lr 5e-5 --freeze-encoder-norm --no-perceptual --loss ssim=2 --steps 30000 --max-minutes 17 --val-every 2000 --checkpoint-every 200 --domain faces --dataset-name CelebA-8500 --description 'PConv U-Net baseline, Liu et al. L1/TV loss plus SSIM (Places cGAN report), CelebA faces, irregular masks, 64 px' --resume"
CMD[pconv-unet-places-baseline:ssim2]="${CMD[pconv-unet-places-baseline]/--lr 5e-4 --no-perceptual --steps 1400 --max-minutes 15 --val-every 700/--lr 2.5e-4 --no-perceptual --steps 22000 --max-minutes 30 --val-every 2000} --loss ssim=2 --resume"

# General photo object removal (issue 14): the PConv U-Net of the scene model continued on 9,000 real
# photos at 256 px in bf16 (the CPU's AVX-512 BF16 with channels-last: 1.3x fp32), then a texture stage
# with a PatchGAN discriminator. Each stage is a full command (no text substitutions).
PHOTOS="--data $D/photos/train --val-data $D/photos/val --mask-dir $D/masks/nvidia_irregular --mixed-precision bf16 --channels-last --steps 100000 --val-images 32 --domain photos --dataset-name photos-9000 --val-every 100000"
CMD[pconv-unet-photos-stage1]="--recipe photos-pconv --init-from pconv-unet-scenes $PHOTOS --checkpoint-every 400 --max-minutes 8 --description 'PConv U-Net for object removal in real photos, 256 px'"
CMD[pconv-unet-photos-stage1:continue]="--recipe photos-pconv --init-from pconv-unet-scenes $PHOTOS --checkpoint-every 200 --max-minutes 38 --description 'PConv U-Net for object removal in real photos, 256 px' --resume"
CMD[pconv-unet-photos]="--recipe photos-pconv-gan --init-from runs/pconv-unet-photos-stage1 $PHOTOS --checkpoint-every 100 --max-minutes 44 --description 'PConv U-Net for object removal in real photos, 256 px'"

# The face model's later stages follow its first run in the default order, so a full rerun repeats the chain
# (where it stops inside a stage depends on the machine: the stages have time budgets). The scene PConv
# starts from the face model as it was after ssim2, before the face model's fine-tuning stage.
ORDER=(pconv-unet-celeba unet-mse-scenes conv-autoencoder-cifar10 pconv-unet-cifar10 pconv-unet-places-baseline
       pconv-unet-places-baseline:continue pconv-unet-places-baseline:continue2 pconv-unet-places-baseline:ssim
       pconv-unet-places-baseline:ssim2 pconv-unet-scenes pconv-unet-places-baseline:finetune
       pconv-unet-scenes:finetune
       pconv-rn-gan-celeba glcic-masked-mse-celeba glcic-global-mse-celeba two-stage-gan-scenes
       two-stage-gan-scenes:continue lama-ffc-celeba
       pconv-unet-photos-stage1 pconv-unet-photos-stage1:continue pconv-unet-photos)
names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ORDER[@]}")

mkdir -p runs checkpoints
for name in "${names[@]}"; do
  [ -n "${CMD[$name]:-}" ] || { echo "unknown checkpoint name: $name (known: ${ORDER[*]})" >&2; exit 2; }
  run=${name%%:*}                       # "NAME:continue" resumes runs/NAME
  echo "== $name"
  eval "$PY -m train ${CMD[$name]} --out runs/$run --name $run ${COMMON[*]}" 2>&1 | tee -a "runs/$run.log"
  rm -rf "checkpoints/$run" && mkdir -p "checkpoints/$run"
  cp runs/$run/{config.json,model.safetensors,README.md} "checkpoints/$run/"
  if [ -f "runs/$run/samples.png" ]; then cp "runs/$run/samples.png" "checkpoints/$run/"; fi
  case $run in
    pconv-unet-photos-stage1) rm -rf "checkpoints/$run" ;;  # an intermediate stage, not shipped
    pconv-unet-photos)  # measured working-size limit (docs/measurements/06-photos-pilot.md)
      $PY -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); c['inpainting_hub']['max_side']=768; json.dump(c, open(p,'w'), indent=2, sort_keys=True)" "checkpoints/$run/config.json" ;;
  esac
done
