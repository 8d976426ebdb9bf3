"""Write the evaluations of the shipped checkpoints into their model cards, their metadata (which
the app ranks by) and RESULTS.md.

    python scripts/publish_results.py [--eval-root outputs/eval] [--benchmark outputs/benchmark/cpu]

Reads the ``results.json`` files that ``scripts/evaluate_shipped.sh`` wrote (one per domain) and:

* appends (or replaces) an "Evaluation" section in ``checkpoints/<name>/README.md``: the model
  next to Telea and NS per NVIDIA bucket, the protocol and the command;
* records ``inpainting_hub.evaluation`` (mean PSNR / SSIM / L1 hole over all pairs, the set, the
  protocol name) in ``checkpoints/<name>/config.json``;
* writes ``RESULTS.md``: each report's comparison, every model against the baselines, and speed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from train.evaluate import load_results, markdown_table  # noqa: E402

DOMAIN_SETS = {  # domain -> evaluation folder under --eval-root, and how to name it
    "faces": ("celeba-val-64", "CelebA val, 64×64, NVIDIA irregular masks"),
    "scenes": ("scenes-val-128", "scenes val (Urban100 + Sun-Hays-80), 128×128, NVIDIA irregular masks"),
    "objects": ("cifar10-val-32", "CIFAR-10 val, 32×32, NVIDIA irregular masks"),
}
BASELINES = ["opencv-telea", "opencv-ns"]
MARK = "<!-- evaluation: written by scripts/publish_results.py -->"


def _load(folder: Path) -> dict | None:
    return load_results(folder) if (folder / "results.json").is_file() else None


def _section(name: str, results: dict, label: str) -> str:
    rows = [name] + [b for b in BASELINES if b in results["models"]]
    s = results["settings"]
    parts = [MARK, "## Evaluation", "",
             f"On {label} ({s['images_per_bucket']} images × {s['masks_per_image']} mask(s) per bucket, seed {s['seed']}), "
             "next to the classical baselines; the best value per column in bold.", ""]
    for metric, title in (("psnr", "PSNR (dB) ↑"), ("ssim", "SSIM ↑"), ("l1_hole", "L1 in the hole ↓")):
        parts += [f"### {title}", "", markdown_table(results, metric, models=rows), ""]
    parts += ["Protocol: " + results["protocol"], "", f"Command: `{s['command']}`", ""]
    return "\n".join(parts)


def _write_card(folder: Path, section: str) -> None:
    card = folder / "README.md"
    text = card.read_text() if card.is_file() else ""
    if MARK in text:
        text = text[: text.index(MARK)].rstrip() + "\n"
    card.write_text(text.rstrip() + "\n\n" + section)


def _write_metadata(folder: Path, results: dict, name: str, set_name: str) -> None:
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    summary = results["models"][name]["summary"]["all"]
    meta = config.setdefault("inpainting_hub", {})
    meta["evaluation"] = {
        "set": set_name,
        "psnr": round(summary["psnr"], 3),
        "ssim": round(summary["ssim"], 4),
        "l1_hole": round(summary["l1_hole"], 4),
        "beats_baselines_psnr": {
            bucket: all(results["models"][name]["summary"][bucket]["psnr"] > results["models"][b]["summary"][bucket]["psnr"]
                        for b in BASELINES if b in results["models"])
            for bucket in results["buckets"]
        },
    }
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _pair_table(results: dict | None, a: str, b: str, title: str, claim: str) -> list[str]:
    if results is None or a not in results["models"] or b not in results["models"]:
        return [f"### {title}", "", f"Not evaluated: {a} or {b} is missing from the results.", ""]
    rows = [a, b] + [m for m in BASELINES if m in results["models"]]
    out = [f"### {title}", "", f"The report's claim: {claim}", "",
           "PSNR (dB) ↑", "", markdown_table(results, "psnr", models=rows), "",
           "SSIM ↑", "", markdown_table(results, "ssim", models=rows), ""]
    pa, pb = (results["models"][m]["summary"]["all"]["psnr"] for m in (a, b))
    sa, sb = (results["models"][m]["summary"]["all"]["ssim"] for m in (a, b))
    better = a if pa > pb else b
    verdict = "agrees with" if better == b else "**disagrees with**"
    out += [f"Measured: `{better}` has the higher mean PSNR over all pairs ({max(pa, pb):.2f} vs {min(pa, pb):.2f} dB; "
            f"SSIM {sa:.4f} for `{a}`, {sb:.4f} for `{b}`): this {verdict} the report's claim.", ""]
    return out


def _bar(results: dict | None, label: str, first_bucket: int) -> list[str]:
    """Does the best learned model (mean PSNR over all pairs) beat both baselines on PSNR and SSIM
    in every bucket from ``first_bucket`` on? Stated per bucket, from the figures."""
    if results is None:
        return [f"- {label}: not evaluated.", ""]
    learned = [m for m, r in results["models"].items() if r.get("kind") == "learned"]
    if not learned:
        return [f"- {label}: no learned model evaluated.", ""]
    best = max(learned, key=lambda m: results["models"][m]["summary"]["all"]["psnr"])
    buckets = results["buckets"][first_bucket:]
    rows = ["| bucket | " + best + " PSNR / SSIM | best baseline PSNR / SSIM | beats both on both |", "|---|---:|---:|---|"]
    wins = 0
    for bucket in buckets:
        mine = results["models"][best]["summary"][bucket]
        base = {b: results["models"][b]["summary"][bucket] for b in BASELINES if b in results["models"]}
        top_psnr = max(v["psnr"] for v in base.values())
        top_ssim = max(v["ssim"] for v in base.values())
        ok = mine["psnr"] > top_psnr and mine["ssim"] > top_ssim
        wins += ok
        rows.append(f"| {bucket} | {mine['psnr']:.2f} / {mine['ssim']:.4f} | {top_psnr:.2f} / {top_ssim:.4f} | {'yes' if ok else 'no'} |")
    verdict = "met" if wins == len(buckets) else f"not met ({wins} of {len(buckets)} buckets)"
    return [f"**{label}**: best learned model `{best}`; bar (beat Telea and NS on PSNR and SSIM in every bucket "
            f"from {buckets[0]} on): **{verdict}**.", ""] + rows + [""]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--eval-root", type=Path, default=ROOT / "outputs" / "eval")
    p.add_argument("--benchmark", type=Path, default=ROOT / "outputs" / "benchmark" / "cpu")
    p.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    p.add_argument("--out", type=Path, default=ROOT / "RESULTS.md")
    args = p.parse_args()

    results = {domain: _load(args.eval_root / folder) for domain, (folder, _) in DOMAIN_SETS.items()}
    for folder in sorted(p for p in args.checkpoints.iterdir() if (p / "config.json").is_file()):
        meta = json.loads((folder / "config.json").read_text()).get("inpainting_hub", {})
        domain = meta.get("domain")
        res = results.get(domain)
        if res is None or folder.name not in res["models"]:
            print(f"skip {folder.name}: no evaluation for domain {domain!r}")
            continue
        set_folder, label = DOMAIN_SETS[domain]
        _write_card(folder, _section(folder.name, res, label))
        _write_metadata(folder, res, folder.name, set_folder)
        print(f"wrote the evaluation of {folder.name}")

    extra_faces = _load(args.eval_root / "celeba-val-64-reports")
    extra_cifar = _load(args.eval_root / "cifar10-val-32-lines")
    lines = ["# Results", "",
             "Every shipped checkpoint, evaluated under one protocol (`python -m train.evaluate`, the same "
             "`inpainting.inpaint` path users get) next to the classical baselines. Regenerate with "
             "`bash scripts/evaluate_shipped.sh` (which ends by running `python scripts/publish_results.py`). "
             "All checkpoints were trained on a 2-core CPU for 5 to 20 minutes each "
             "(`bash scripts/train_shipped.sh`, commands in each model card), so they are far from the "
             "reports' training budgets: read the comparisons as what these recipes reach on a small "
             "budget, not as a verdict on the papers.", ""]
    lines += ["## The quality bars", ""]
    for domain, first_bucket in (("faces", 1), ("scenes", 2)):
        lines += _bar(results[domain], DOMAIN_SETS[domain][1], first_bucket)
    lines += [
        "Why a bar is missed, where it is: every learned model here had 5 to 50 minutes of a 2-core CPU "
        "(no GPU was lent to this work); the best face model saw about 4,000 steps of 16 images (under "
        "8 epochs of 8,500 faces), while the papers train for hundreds of thousands of steps on GPUs. "
        "Its validation PSNR (generated masks) was still rising when the budget ended, though its last "
        "1,300 steps moved the NVIDIA figures by only 0.02 dB: the gap that remains is on small, "
        "fragmented holes. The classical methods are "
        "strongest on the thin, fragmented holes that the 512 px NVIDIA masks become after "
        "nearest-neighbour resizing to 64 or 128 px, where a few neighbouring pixels suffice; the "
        "learned models gain as holes grow. Training longer (`--resume` continues any run exactly) "
        "or on a GPU is the way to close the gap.", ""]
    lines += ["## Each report's comparison under one protocol", ""]
    lines += _pair_table(results["objects"], "conv-autoencoder-cifar10", "pconv-unet-cifar10",
                         "CIFAR-10 report: blind autoencoder vs partial-convolution autoencoder (NVIDIA masks, 32×32)",
                         "partial convolutions inpaint better than a blind autoencoder.")
    lines += _pair_table(extra_cifar, "conv-autoencoder-cifar10", "pconv-unet-cifar10",
                         "Same pair on the report's own random-line masks (CIFAR-10 val, 32×32)",
                         "partial convolutions inpaint better than a blind autoencoder.")
    lines += _pair_table(results["faces"], "pconv-unet-places-baseline", "pconv-rn-gan-celeba",
                         "Places cGAN report: PConv U-Net vs PConv + Region Normalization cGAN (CelebA val, 64×64)",
                         "region normalization and the conditional GAN improve on the PConv baseline.")
    lines += _pair_table(extra_faces or results["faces"], "glcic-masked-mse-celeba", "glcic-global-mse-celeba",
                         "GLCIC report: masked MSE vs the report's global MSE (CelebA val, 64×64, box and line masks)",
                         "MSE over the whole image (instead of the hole) stabilises training and gives better fills.")
    lines += _pair_table(results["scenes"], "unet-mse-scenes", "two-stage-gan-scenes",
                         "Places GAN report: U-Net with MSE vs two-stage GAN (scenes val, 128×128)",
                         "the two-stage GAN generator beats the MSE U-Net baseline.")
    lines += ["## Every model against the classical baselines, per NVIDIA bucket", ""]
    for domain, (folder, label) in DOMAIN_SETS.items():
        res = results[domain]
        if res is None:
            continue
        lines += [f"### {label}", "", "PSNR (dB) ↑", "", markdown_table(res, "psnr"), "",
                  "SSIM ↑", "", markdown_table(res, "ssim"), "", "L1 in the hole ↓", "",
                  markdown_table(res, "l1_hole"), "", f"Command: `{res['settings']['command']}`", ""]
    bench = args.benchmark / "benchmark.md"
    lines += ["## Speed", ""]
    lines += [bench.read_text().strip(), ""] if bench.is_file() else ["Not measured yet: run `python -m train.benchmark --models all`.", ""]
    args.out.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
