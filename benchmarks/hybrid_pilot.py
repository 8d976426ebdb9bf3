"""Does a hybrid of the learned fill and PatchMatch beat both? (issue 14, item 4; a benchmark script)

    python -m benchmarks.hybrid_pilot --images ../shared/data/photos/val --images-per-bucket 20 --out outputs/eval/hybrid-pilot
    python -m benchmarks.hybrid_pilot --kind guided --images-per-bucket 10 --out outputs/eval/guided-pilot

Each hybrid takes the structure from the learned model and the texture from the photo's own patches:

- ``split``: ``blur(learned) + PatchMatch - blur(PatchMatch)``, a Gaussian split at ``σ`` pixels (the
  low-pass of the learned fill plus the band-pass of PatchMatch's fill); one row per σ.
- ``guided``: patches copied from the known part of the photo, *chosen by the learned fill*
  (:func:`guided_patch_fill`: a PatchMatch whose patch distance carries the blurred learned fill as
  a guide channel), as a vote of overlapping patches, as a copy of each best patch's centre, as the
  learned fill's low-pass plus the copy's detail, and as the vote near the hole's edge and the copy
  deep inside it.

The parts are computed once per pair; each hybrid is one more row of the standard evaluation
(``train.evaluate``: NVIDIA buckets and object blobs at 256 px, PSNR, SSIM, L1 and the SWD realism
score, with ``examples.png``).
"""
from __future__ import annotations

import argparse
import hashlib
import sys

from typing import NamedTuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
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


_JUMPS = (8, 2, 1)
_DIRS = ((0, 1), (0, -1), (1, 0), (-1, 0))


class GuidedFill(NamedTuple):
    vote: torch.Tensor
    copy: torch.Tensor
    detail: torch.Tensor
    deep: torch.Tensor


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    k = 2 * round(3 * sigma) + 1
    return TF.gaussian_blur(x, [k, k], [sigma, sigma])


@torch.no_grad()
def guided_patch_fill(image: torch.Tensor, mask: torch.Tensor, guide: torch.Tensor, *, patch_size: int = 7,
                      em_iterations: int = 3, pm_iterations: int = 2, guide_weight: float = 1.0,
                      guide_sigma: float = 2.0, edge: float = 2.0, seed: int = 0) -> "GuidedFill":
    """Fill the hole of ``image`` (3×H×W in [0, 1]; ``mask`` 1×H×W, 1 = hole) with patches copied from its
    known part, chosen to agree with ``guide`` (3×H×W, a learned fill): the patch distance adds the
    blurred guide against the blurred source to the usual colour distance (an image-analogies guide
    channel, Hertzmann et al. 2001), the nearest-neighbour field is searched by parallel PatchMatch
    (jump-flood propagation and random search, Barnes et al. 2009), and the hole is the vote of the
    overlapping source patches (Wexler et al. 2007), re-matched ``em_iterations`` times.

    Returns four fills of the hole from the same field, each 3×H×W with the known pixels of ``image``:

    - ``vote``: the last vote;
    - ``copy``: each hole pixel the centre of its own best-matching patch;
    - ``detail``: the guide's low-pass plus the copy's detail, ``blur(guide) + copy - blur(copy)``
      at ``guide_sigma`` (the layout of the learned fill, the grain of the copied patches, which were
      chosen to agree with that layout);
    - ``deep``: the vote near the hole's edge and the copy deep inside it, blended linearly from
      ``edge`` to ``edge + patch_size // 2 + 1`` pixels from the nearest known pixel (thin strokes keep the
      vote's fidelity, large holes get the copy's texture).
    """
    gen = torch.Generator().manual_seed(seed)
    _, h, w = image.shape
    r = patch_size // 2
    if h <= 2 * r or w <= 2 * r:
        raise ValueError(f"guided_patch_fill: a {h}×{w} image is smaller than a {patch_size}-pixel patch")
    hole = mask[0] > 0.5
    near = F.max_pool2d(hole[None, None].float(), patch_size, 1, r)[0, 0] > 0
    interior = torch.zeros(h, w, dtype=torch.bool)
    interior[r:h - r, r:w - r] = True
    valid = interior & ~near  # source centres: the whole patch inside the image and known
    if not valid.any():
        raise ValueError("guided_patch_fill: no complete known patch to copy from")
    targets = (near & interior).flatten().nonzero()[:, 0]
    ty, tx = targets // w, targets % w
    valid_idx = valid.flatten().nonzero()[:, 0]
    hole_idx = hole.flatten().nonzero()[:, 0]
    hy, hx = hole_idx // w, hole_idx % w

    # The guide channel: the blurred image sampled 3×3 over the patch (dilation r), weighted to
    # count as much as a full patch of it would.
    scale = guide_weight * (patch_size / 3)

    def structure_features(structure: torch.Tensor) -> torch.Tensor:
        return scale * F.unfold(_blur(structure, guide_sigma)[None], 3, dilation=r, padding=r)[0]

    def colour_features(colour: torch.Tensor) -> torch.Tensor:
        return F.unfold(colour[None], patch_size, padding=r)[0]

    # (H·W)×D, rows contiguous: candidates are gathered by row
    source_features = torch.cat([colour_features(image), structure_features(image)]).T.contiguous()
    guide_part = structure_features(guide)[:, targets].T
    x = torch.where(hole[None], guide, image)

    # random initial field over valid sources
    pick = valid_idx[torch.randint(len(valid_idx), (len(targets),), generator=gen)]
    sy, sx = pick // w, pick % w

    def distance(tf: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor) -> torch.Tensor:
        return (tf - source_features.index_select(0, cy * w + cx)).pow(2).sum(1)

    for em in range(em_iterations):
        target_features = torch.cat([colour_features(x)[:, targets].T, guide_part], 1).contiguous()
        best = distance(target_features, sy, sx)

        def consider(cy, cx):
            nonlocal sy, sx, best
            inside = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w)
            cy, cx = cy.clamp(0, h - 1), cx.clamp(0, w - 1)
            ok = inside & valid[cy, cx]
            d = torch.where(ok, distance(target_features, cy, cx), torch.full_like(best, float("inf")))
            better = d < best
            sy, sx, best = torch.where(better, cy, sy), torch.where(better, cx, sx), torch.where(better, d, best)

        for _ in range(pm_iterations + (em == 0)):
            for jump in _JUMPS:
                for dy, dx in _DIRS:
                    dy, dx = dy * jump, dx * jump
                    # the neighbour at t - (dy, dx), if it is a target, proposes its source + (dy, dx)
                    dense = torch.full((h * w,), -1, dtype=torch.long)
                    dense[targets] = sy * w + sx
                    ny, nx = ty - dy, tx - dx
                    inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
                    src = torch.where(inside, dense[(ny * w + nx).clamp(0, h * w - 1)], -1)
                    has = src >= 0
                    consider(torch.where(has, src // w + dy, -1), torch.where(has, src % w + dx, -1))
            radius = max(h, w)
            while radius >= 1:
                consider(sy + torch.randint(-radius, radius + 1, sy.shape, generator=gen),
                         sx + torch.randint(-radius, radius + 1, sx.shape, generator=gen))
                radius //= 2

        # vote: each hole pixel averages the source pixels that the target patches over it bring
        dense = torch.full((h * w,), -1, dtype=torch.long)
        dense[targets] = sy * w + sx
        flat_image = image.reshape(3, -1)
        total = torch.zeros(3, len(hole_idx))
        count = torch.zeros(len(hole_idx))
        for oy in range(-r, r + 1):
            for ox in range(-r, r + 1):
                qy, qx = hy - oy, hx - ox  # the target whose patch covers the hole pixel at offset (oy, ox)
                inside = (qy >= r) & (qy < h - r) & (qx >= r) & (qx < w - r)
                src = torch.where(inside, dense[(qy * w + qx).clamp(0, h * w - 1)], -1)
                ok = src >= 0
                vote = (src + oy * w + ox).clamp(0, h * w - 1)  # a valid source's patch lies inside the image
                total += flat_image[:, vote] * ok
                count += ok
        x = x.clone()
        filled = count > 0
        x.reshape(3, -1)[:, hole_idx[filled]] = total[:, filled] / count[filled]
    # copy: each hole pixel takes the centre of its own best patch (sharp; seams where the field breaks)
    copied = x.clone()
    own = hole[ty, tx]
    copied[:, ty[own], tx[own]] = image[:, sy[own], sx[own]]
    detail = _blur(guide, guide_sigma) + copied - _blur(copied, guide_sigma)
    detail = torch.where(hole[None], detail.clamp(0, 1), image)
    inside = torch.from_numpy(cv2.distanceTransform(hole.numpy().astype(np.uint8), cv2.DIST_L2, 5))
    weight = ((inside - edge) / (r + 1)).clamp(0, 1)[None]
    deep = torch.where(hole[None], weight * copied + (1 - weight) * x, image)
    return GuidedFill(vote=x, copy=copied, detail=detail, deep=deep)


class GuidedPatchHybrid(torch.nn.Module):
    """The learned fill as the guide of :func:`guided_patch_fill`; ``output`` is ``"vote"`` or
    ``"copy"``. The fills of a pair are shared through ``cache`` (one search gives both outputs)."""

    def __init__(self, structure: torch.nn.Module, output: str, cache: dict, **options):
        super().__init__()
        if output not in GuidedFill._fields:
            raise ValueError(f"output must be one of {GuidedFill._fields}, got {output!r}")
        self.structure, self.output, self.cache, self.options = structure, output, cache, options
        self.native_size = getattr(structure, "native_size", None)
        self.pad_multiple = getattr(structure, "pad_multiple", 1)

    @torch.no_grad()
    def forward(self, image, mask):
        key = hashlib.sha1(image.cpu().numpy().tobytes() + mask.cpu().numpy().tobytes()).hexdigest()
        if key not in self.cache:
            guide = self.structure(image, mask).clamp(0, 1)
            guide = guide * mask + image * (1 - mask)
            self.cache[key] = [guided_patch_fill(i.float().cpu(), m.float().cpu(), g.float().cpu(), **self.options)
                               for i, m, g in zip(image, mask, guide)]
        return torch.stack([getattr(fill, self.output) for fill in self.cache[key]]).to(image)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", default="../shared/data/photos/val")
    p.add_argument("--kind", choices=("split", "guided"), default="split")
    p.add_argument("--learned", default="pconv-unet-photos")
    p.add_argument("--sigmas", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    p.add_argument("--images-per-bucket", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="outputs/eval/hybrid-pilot")
    args = p.parse_args(argv)
    learned, patchmatch = inpainting.load_model(args.learned, device="cpu"), inpainting.load_model("patchmatch")
    cache: dict = {}
    models = [(args.learned, learned), ("patchmatch", patchmatch)]
    if args.kind == "split":
        models += [(f"hybrid σ={s:g}", FrequencySplitHybrid(learned, patchmatch, s, cache)) for s in args.sigmas]
    else:
        models += [(f"guided {out}", GuidedPatchHybrid(learned, out, cache, seed=args.seed)) for out in GuidedFill._fields]
    settings = EvalSettings(images=args.images, masks=("nvidia", "objects"), size=256,
                            images_per_bucket=args.images_per_bucket, seed=args.seed)
    evaluate(models, settings, out=args.out, examples=6, progress=False,
             command="python -m benchmarks.hybrid_pilot " + " ".join(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
