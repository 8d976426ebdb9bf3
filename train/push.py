"""``python -m train.push DIR --repo-id ORG/NAME [--private] [--dry-run]``: upload a trained model.

Uploads the ``save_pretrained`` files of ``DIR`` (``config.json``, ``model.safetensors``,
``README.md`` and the ``samples.png`` the card shows), never the training state (checkpoint,
TensorBoard logs). The token comes from the environment (``HF_TOKEN``) or ``huggingface-cli login``.
``--dry-run`` lists exactly what would be uploaded and contacts nobody.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["UPLOAD_FILES", "files_to_upload", "push", "main"]

REQUIRED_FILES = ("config.json", "model.safetensors", "README.md")
UPLOAD_FILES = REQUIRED_FILES + ("samples.png",)


def files_to_upload(folder: str | os.PathLike) -> list[Path]:
    """The files of ``folder`` that :func:`push` uploads, after checking it is a loadable model."""
    from inpainting.hub import read_config

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a finished save_pretrained folder: missing {', '.join(missing)}")
    if not read_config(folder).get("architecture"):
        raise ValueError(f"{folder}/config.json names no architecture")
    return [folder / name for name in UPLOAD_FILES if (folder / name).is_file()]


def push(folder: str | os.PathLike, repo_id: str, *, private: bool = False, dry_run: bool = False,
         token: str | None = None, commit_message: str = "Upload Inpainting Hub model") -> list[Path]:
    """Create ``repo_id`` if needed and upload :func:`files_to_upload`; returns the files."""
    files = files_to_upload(folder)
    if dry_run:
        return files
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                      allow_patterns=[f.name for f in files], commit_message=commit_message)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="a folder written by python -m train (save_pretrained)")
    parser.add_argument("--repo-id", required=True, help="Hub repository, ORG/NAME")
    parser.add_argument("--private", action="store_true", help="create the repository private")
    parser.add_argument("--dry-run", action="store_true", help="list what would be uploaded and stop")
    parser.add_argument("--message", default="Upload Inpainting Hub model", help="commit message")
    args = parser.parse_args(argv)
    if args.repo_id.count("/") != 1:
        parser.error(f"--repo-id must be ORG/NAME, got {args.repo_id!r}")
    try:
        files = push(args.folder, args.repo_id, private=args.private, dry_run=args.dry_run,
                     token=os.environ.get("HF_TOKEN"), commit_message=args.message)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    verb = "would upload" if args.dry_run else "uploaded"
    visibility = " (private)" if args.private else ""
    print(f"{verb} to https://huggingface.co/{args.repo_id}{visibility}:")
    for path in files:
        print(f"  {path.name}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
