"""Training checkpoints: written atomically, read back with a clear error, and the random-number
state that makes a resumed run continue exactly (Python, NumPy, torch, CUDA)."""
from __future__ import annotations

import os
import random
from pathlib import Path
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from train.recipes import Recipe
    from train.trainer import Trainer

__all__ = ["CHECKPOINT_NAME", "CHECKPOINT_VERSION", "CheckpointError", "save_checkpoint", "load_checkpoint",
           "rng_state", "set_rng_state", "trainer_state", "restore_trainer", "resumable_recipes"]

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unreadable or from another recipe."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically: a temporary file in the same folder, flushed to disk,
    then renamed over ``path``. A crash mid-write leaves the previous checkpoint intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors and plain data only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint to resume from at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means an unusable file
        raise CheckpointError(f"checkpoint {path} is unreadable ({err.__class__.__name__}: {err})") from err
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint {path} has version {state.get('version')}, expected {CHECKPOINT_VERSION}")
    return state


def rng_state() -> dict[str, Any]:
    kind, key, pos, has_gauss, gauss = np.random.get_state()  # noqa: NPY002 - saved for third-party code
    state = {"python": random.getstate(), "numpy": [kind, key.tolist(), pos, has_gauss, gauss],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(_to_tuple(state["python"]))
    kind, key, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(key, dtype=np.uint32), pos, has_gauss, gauss))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_tuple(value):
    return tuple(_to_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


# ------------------------------------------------------------------ a trainer's state
def trainer_state(trainer: "Trainer") -> dict[str, Any]:
    """Everything a resumed run needs: weights, optimisers, schedules, counters, history, RNG states."""
    state = {
        "version": CHECKPOINT_VERSION,
        "recipe": trainer.recipe.name,
        "architecture": trainer.recipe.architecture,
        "preset": trainer.recipe.preset,
        "step": trainer.step,
        "total_steps": trainer.total_steps,
        "wall_time": trainer.wall_time,
        "images_seen": trainer.images_seen,
        "metrics": dict(trainer.metrics),
        "history": json.dumps(trainer.history),
        "commands": json.dumps(trainer.commands),
        "model": trainer.net.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "rng": rng_state(),
    }
    if trainer.ema is not None:
        state["ema"] = trainer.ema.state_dict()
    if trainer.discriminator is not None:
        state["discriminator"] = trainer.accelerator.unwrap_model(trainer.discriminator).state_dict()
        state["d_optimizer"] = trainer.d_optimizer.state_dict()
        state["d_scheduler"] = trainer.d_scheduler.state_dict()
    return state


def resumable_recipes(recipe: "Recipe") -> set[str]:
    """Recipe names whose checkpoint this run may resume: itself, the stages it continues (a shipped
    recipe's ``NAME:STAGE`` chain) and the recipe it derives from (runs started before the chain)."""
    names = {recipe.name, recipe.base}
    while recipe.shipped is not None and recipe.shipped.continues:
        from train.recipes import get_recipe

        recipe = get_recipe(recipe.shipped.continues)
        names |= {recipe.name, recipe.base}
    return names - {""}


def restore_trainer(trainer: "Trainer", state: dict[str, Any]) -> None:
    """Put ``state`` (:func:`trainer_state`) back into ``trainer``, refusing another recipe's checkpoint."""
    if state["recipe"] not in resumable_recipes(trainer.recipe) or state["preset"] != trainer.recipe.preset:
        raise CheckpointError(f"{trainer.checkpoint_path} is from recipe {state['recipe']!r} preset "
                              f"{state['preset']!r}, not {trainer.recipe.name!r} preset {trainer.recipe.preset!r}")
    try:
        trainer.net.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"{trainer.checkpoint_path} does not fit this model (other model options?): {err}") from err
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.scheduler.load_state_dict(state["scheduler"])
    saved_lr = trainer.scheduler.base_lrs[0]
    lr = trainer.recipe.optimizer.lr
    if not math.isclose(lr, saved_lr, rel_tol=1e-9):
        # The resolved recipe (an --lr on resume, a later stage's recipe) names another learning rate
        # than the run saved: it wins (the schedule's decays already passed still apply).
        import warnings

        warnings.warn(f"resuming {trainer.checkpoint_path} with learning rate {lr:g} (the recipe's, with any --lr) "
                      f"in place of the saved {saved_lr:g}", UserWarning, stacklevel=2)
        trainer.scheduler.base_lrs = [lr] * len(trainer.optimizer.param_groups)
        passed = sum(1 for m in trainer.scheduler.milestones.elements() if m <= trainer.scheduler.last_epoch)
        for group in trainer.optimizer.param_groups:
            group["initial_lr"] = lr
            group["lr"] = lr * trainer.recipe.optimizer.lr_gamma ** passed
    if trainer.discriminator is not None:
        trainer.accelerator.unwrap_model(trainer.discriminator).load_state_dict(state["discriminator"])
        trainer.d_optimizer.load_state_dict(state["d_optimizer"])
        trainer.d_scheduler.load_state_dict(state["d_scheduler"])
    if trainer.ema is not None:
        if "ema" in state:
            trainer.ema.load_state_dict(state["ema"])
        else:  # a run that kept no average (or an older checkpoint): the average starts at the restored weights
            trainer.ema = trainer._make_ema()
    trainer.step, trainer.wall_time = int(state["step"]), float(state["wall_time"])
    trainer.images_seen = int(state.get("images_seen", 0))
    trainer.metrics = dict(state.get("metrics", {}))
    trainer.history = json.loads(state.get("history", "[]"))
    trainer.commands = json.loads(state.get("commands", "[]"))
    set_rng_state(state["rng"])
