"""Shared test set-up. HF_HUB_OFFLINE must be set before huggingface_hub or gradio is imported."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import torch  # noqa: E402

torch.set_num_threads(1)
