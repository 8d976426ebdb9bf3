"""Shared test set-up. HF_HUB_OFFLINE must be set before huggingface_hub or gradio is imported."""
import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before anything imports huggingface_hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import torch  # noqa: E402

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------ app fixture
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    """The Gradio app (app.py) served on 127.0.0.1 at a free port for this test module.

    Each module gets a fresh app from ``app.build_app()``, as a Space serves one, rather than one
    ``app.demo`` closed and relaunched per module (a relaunched ``gr.Blocks`` keeps its event-queue
    object from the previous server). Test isolation only: it did not stop the browser test's Clear
    after erase + Fill from leaving the editor blank in CI (see tests/test_app_browser.py).
    """
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    import app

    blocks = app.build_app()
    _, url, _ = app.launch(
        blocks, server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True,
        show_error=False,
    )
    yield url
    blocks.close()
