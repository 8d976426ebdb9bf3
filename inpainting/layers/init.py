"""Weight initialisation shared by the families."""
from __future__ import annotations

from torch import nn

__all__ = ["init_weights"]


def init_weights(module: nn.Module, *, negative_slope: float = 0.0) -> None:
    """He (Kaiming) normal initialisation of every convolution (fan-in, for (leaky) ReLU with
    ``negative_slope``), zero biases; norm layers keep their unit scale and zero shift.

    He et al., "Delving Deep into Rectifiers", ICCV 2015 (https://arxiv.org/abs/1502.01852): keeps
    the activation variance through deep ReLU stacks, where PyTorch's default shrinks it layer by
    layer (a fresh 17-layer GLCIC in eval mode would output a near-constant image).
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, a=negative_slope, mode="fan_in", nonlinearity="leaky_relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
