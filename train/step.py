"""The training step: generator and discriminator updates of one batch, as a recipe's phase says.

The reconstruction terms run in float32 outside autocast; the adversarial and feature-matching terms
under it. Logs are detached 0-d tensors: reading them as numbers waits for the device, so the
training loop does that only at the log interval.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import torch
from torch import nn

from inpainting.metrics import composite
from train.losses import feature_matching_loss, hole_ramp_weight

if TYPE_CHECKING:
    from train.trainer import Trainer

__all__ = ["train_step", "set_requires_grad"]


def train_step(trainer: "Trainer", batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One optimisation step on ``batch`` (``image`` B×3×S×S, ``mask`` B×K×1×S×S); returns the logs
    (detached 0-d tensors: reading them as numbers waits for the device, so the training loop
    does that only at the log interval)."""
    acc, recipe = trainer.accelerator, trainer.recipe
    phase = trainer.phase_at(trainer.step)
    k = batch["mask"].shape[1]
    image = batch["image"].to(trainer.device).repeat_interleave(k, dim=0)
    mask = batch["mask"].to(trainer.device).flatten(0, 1)
    if trainer.options.channels_last:
        image, mask = (t.contiguous(memory_format=torch.channels_last) for t in (image, mask))
    corrupted = image * (1 - mask)
    adv = recipe.adversarial
    condition = corrupted if adv is not None and adv.conditional else None
    single = acc.num_processes == 1
    logs: dict[str, torch.Tensor] = {}

    trainer._set_train_mode(phase.generator)
    with torch.set_grad_enabled(phase.generator), acc.autocast():
        out = trainer.model(corrupted, mask)
    coarse, pred = (out[0].float(), out[1].float()) if isinstance(out, tuple) else (None, out.float())
    fake = None
    if trainer.discriminator is not None:
        fake = composite(pred, image, mask) if adv.sees == "composite" else pred

    if phase.generator:
        # The reconstruction terms run in float32, outside autocast: in bf16 the SSIM window's
        # E[x²] - E[x]² cancels (1 - SSIM of a nearly perfect fill came out above 1).
        total = pred.new_zeros(())
        for name, weight, fn in trainer.loss_terms:
            value = fn(pred, image, mask)
            logs[name] = value.detach()
            total = total + weight * value
            if coarse is not None:
                value = fn(coarse, image, mask)
                logs[f"coarse_{name}"] = value.detach()
                total = total + recipe.coarse_weight * weight * value
        with acc.autocast():
            if phase.adversarial:
                if single:
                    set_requires_grad(trainer.discriminator, False)
                real_features = []
                if adv.feature_matching:
                    with torch.no_grad():
                        _, real_features = trainer.discriminator(image, mask, condition)
                fake_logits, fake_features = trainer.discriminator(fake, mask, condition)
                weight = hole_ramp_weight(mask, adv.hole_ramp)
                adv_loss, adv_logs = trainer.strategy.generator_loss(fake_logits, mask=mask, sample_weight=weight)
                total = total + adv.weight * adv_loss
                logs.update(adv_logs)
                if adv.feature_matching:
                    fm = feature_matching_loss(fake_features, real_features, sample_weight=weight)
                    logs["feature_matching"] = fm.detach()
                    total = total + adv.feature_matching * fm
                if single:
                    set_requires_grad(trainer.discriminator, True)
        logs["g_loss"] = total.detach()
        trainer.optimizer.zero_grad(set_to_none=True)
        acc.backward(total)
        trainer.optimizer.step()
        if trainer.ema is not None:
            trainer.ema.update_parameters(trainer.net)

    if phase.discriminator:
        real = image.detach().requires_grad_(trainer.strategy.needs_real_grad)
        both = torch.cat([real, fake.detach()])
        both_cond = None if condition is None else torch.cat([condition, condition])
        with acc.autocast():
            logits, _ = trainer.discriminator(both, torch.cat([mask, mask]), both_cond)
            real_logits, fake_logits = _split(logits)
            d_loss, d_logs = trainer.strategy.discriminator_loss(real_logits, fake_logits, real=real, mask=mask)
        logs.update(d_logs)
        logs["d_loss"] = d_loss.detach()
        trainer.d_optimizer.zero_grad(set_to_none=True)
        acc.backward(d_loss)
        trainer.d_optimizer.step()

    with warnings.catch_warnings():
        # Schedules follow the global step, also through phases that leave an optimiser idle.
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\(\)` before")
        trainer.scheduler.step()
        if trainer.d_scheduler is not None:
            trainer.d_scheduler.step()
    trainer.step += 1
    trainer.images_seen += image.shape[0] * acc.num_processes
    return logs


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for param in module.parameters():
        param.requires_grad_(flag)


def _split(logits):
    """Split discriminator outputs of ``cat([real, fake])`` into the real and the fake halves."""
    if isinstance(logits, (list, tuple)):
        halves = [t.chunk(2, dim=0) for t in logits]
        return [h[0] for h in halves], [h[1] for h in halves]
    return logits.chunk(2, dim=0)
