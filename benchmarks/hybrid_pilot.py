"""Does a hybrid of the learned fill and PatchMatch beat both? (issue 14, item 4; a benchmark script)

    python -m benchmarks.hybrid_pilot --images ../shared/data/photos/val --images-per-bucket 20 --out outputs/eval/hybrid-pilot

The hybrid takes the structure from the learned model and the texture from PatchMatch: the fill is
``blur(learned) + PatchMatch - blur(PatchMatch)``, a Gaussian split at ``σ`` pixels (the low-pass
of the learned fill plus the band-pass of the copied patches). Both parts are computed once per
pair; each σ is one more row of the standard evaluation (``train.evaluate``: NVIDIA buckets and
object blobs at 256 px, PSNR, SSIM, L1 and the SWD realism score, with ``examples.png``).
"""
from __future__ import annotations

import argparse
import hashlib
import sys

import torch
import torchvision.transforms.functional as TF

import inpainting
from train.evaluate.protocol import EvalSettings
from train.evaluate.run import evaluate


class FrequencySplitHybrid(torch.nn.Module):
    """``blur_σ(structure fill) + texture fill - blur_σ(texture fill)``; the two fills of a pair are
    shared between hybrids of other σ through ``cache``."""

    def __init__(self, structure: torch.nn.Module, texture: torch.nn.Module, sigma: float, cache: dict):
        super().__init__()
        self.structure, self.texture, self.sigma, self.cache = structure, texture, float(sigma), cache
        self.native_size = getattr(structure, "native_size", None)
        self.pad_multiple = getattr(structure, "pad_multiple", 1)

    def _fills(self, image, mask):
        key = hashlib.sha1(image.cpu().numpy().tobytes() + mask.cpu().numpy().tobytes()).hexdigest()
        if key not in self.cache:
            self.cache[key] = (self.structure(image, mask), self.texture(image, mask))
        return self.cache[key]

    @torch.no_grad()
    def forward(self, image, mask):
        a, b = self._fills(image, mask)
        k = 2 * round(3 * self.sigma) + 1
        blur = lambda x: TF.gaussian_blur(x, [k, k], [self.sigma, self.sigma])  # noqa: E731
        return (blur(a) + b - blur(b)).clamp(0, 1)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", default="../shared/data/photos/val")
    p.add_argument("--learned", default="pconv-unet-photos")
    p.add_argument("--sigmas", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    p.add_argument("--images-per-bucket", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="outputs/eval/hybrid-pilot")
    args = p.parse_args(argv)
    learned, patchmatch = inpainting.load_model(args.learned, device="cpu"), inpainting.load_model("patchmatch")
    cache: dict = {}
    models = [(args.learned, learned), ("patchmatch", patchmatch)]
    models += [(f"hybrid σ={s:g}", FrequencySplitHybrid(learned, patchmatch, s, cache)) for s in args.sigmas]
    settings = EvalSettings(images=args.images, masks=("nvidia", "objects"), size=256,
                            images_per_bucket=args.images_per_bucket, seed=args.seed)
    evaluate(models, settings, out=args.out, examples=6, progress=False,
             command="python -m benchmarks.hybrid_pilot " + " ".join(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
