"""The results file: ``results.json`` written and read back (format :data:`~train.evaluate.protocol.FORMAT`)."""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Mapping, Union

from inpainting.loading import canonical_name
from train.evaluate.protocol import FORMAT


# --------------------------------------------------------------------------------------------
# the results file
# --------------------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_finite(data), indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _finite(value):
    """NaN and ±inf as ``None`` (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def load_results(source: Union[str, os.PathLike, Mapping]) -> dict:
    """A results dictionary from a ``results.json`` path, its folder, or the dictionary itself."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        path = path / "results.json"
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not an evaluation results file (format {data.get('format')!r}, expected {FORMAT!r})")
    if isinstance(data.get("models"), dict):  # results written before a checkpoint was renamed
        data["models"] = {canonical_name(name, notice=False, replacements=False): entry for name, entry in data["models"].items()}
    return data
