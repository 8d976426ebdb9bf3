"""Shared layers: partial convolution, region normalization, fast Fourier convolution."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inpainting.layers.ffc import FFC, FFCResnetBlock, FourierUnit
from inpainting.layers.partial_conv import PartialConv2d
from inpainting.layers.region_norm import RegionNormB, RegionNormL, region_normalize


def _square_hole(size: int, top: int, side: int, batch: int = 1) -> torch.Tensor:
    mask = torch.zeros(batch, 1, size, size)
    mask[..., top:top + side, top:top + side] = 1
    return mask


# ----------------------------------------------------------------------------- partial convolution
@pytest.mark.parametrize("kernel_size,stride,dilation", [(3, 1, 1), (5, 1, 1), (3, 2, 1), (3, 1, 2), (7, 2, 1)])
def test_partial_conv_equals_conv2d_away_from_borders_when_nothing_is_masked(kernel_size, stride, dilation):
    torch.manual_seed(0)
    pad = dilation * (kernel_size // 2)
    pconv = PartialConv2d(3, 5, kernel_size, stride=stride, padding=pad, dilation=dilation)
    conv = nn.Conv2d(3, 5, kernel_size, stride=stride, padding=pad, dilation=dilation)
    conv.load_state_dict(pconv.state_dict())
    x = torch.randn(2, 3, 24, 24)
    out, new_mask = pconv(x, torch.zeros(2, 1, 24, 24))
    ref = conv(x)
    assert out.shape == ref.shape and new_mask.shape == (2, 1, *ref.shape[2:])
    assert not new_mask.any()
    border = -(-pad // stride)  # output pixels whose window touches the zero padding
    inner = (slice(None), slice(None), slice(border, -border), slice(border, -border))
    torch.testing.assert_close(out[inner], ref[inner], rtol=1e-5, atol=1e-5)
    # at the border the padding counts as hole, so the layer rescales there
    assert not torch.allclose(out[..., 0, 0], ref[..., 0, 0])


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_the_hole_shrinks_by_the_kernel_footprint_per_layer(kernel_size):
    layers = [PartialConv2d(2, 2, kernel_size, padding=kernel_size // 2) for _ in range(2)]
    x, mask = torch.randn(1, 2, 32, 32), _square_hole(32, 8, 15)
    for layer in layers:
        x, mask = layer(x, mask)
        side = 15 - (kernel_size - 1) * (layers.index(layer) + 1)
        assert mask.sum() == side * side
        assert torch.equal(mask, _square_hole(32, 8 + (15 - side) // 2, side))
        assert torch.all(x[mask.expand_as(x) > 0] == 0)  # no value where the window saw nothing known


def test_the_mask_update_is_an_erosion_of_the_hole_for_random_masks():
    torch.manual_seed(1)
    mask = (torch.rand(3, 1, 20, 20) < 0.7).float()
    _, new_mask = PartialConv2d(1, 1, 3, padding=1)(torch.randn(3, 1, 20, 20), mask)
    # m' = 1 iff some known pixel in the window (padding is not known): a max-pool of the valid mask
    expected = 1 - F.max_pool2d(1 - mask, 3, stride=1, padding=1)
    assert torch.equal(new_mask, expected)


def test_partial_conv_rescales_by_window_over_known_count_and_ignores_hole_values():
    torch.manual_seed(2)
    pconv = PartialConv2d(2, 3, 3, padding=1)
    x = torch.randn(1, 2, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 3:5, 2:6] = 1
    out, _ = pconv(x, mask)
    # a window at (4, 4) holds 9 pixels of which 3 rows x 3 cols minus hole ones are known
    window = (slice(3, 6), slice(3, 6))
    valid = 1 - mask[0, 0][window]
    manual = (pconv.weight * (x[0, :, window[0], window[1]] * valid)).sum(dim=(1, 2, 3))
    manual = manual * (2 * 9) / (2 * valid.sum()) + pconv.bias
    torch.testing.assert_close(out[0, :, 4, 4], manual, rtol=1e-5, atol=1e-5)
    # values under the hole never matter
    out2, _ = pconv(x + 100 * mask * torch.randn_like(x), mask)
    assert torch.equal(out, out2)


def test_partial_conv_accepts_a_mask_per_input_channel():
    torch.manual_seed(3)
    pconv = PartialConv2d(4, 2, 3, padding=1)
    x, mask = torch.randn(1, 4, 10, 10), _square_hole(10, 2, 5)
    shared, m1 = pconv(x, mask)
    per_channel, m2 = pconv(x, mask.expand(-1, 4, -1, -1))
    torch.testing.assert_close(shared, per_channel)
    assert torch.equal(m1, m2)
    # two channels known, two masked: the count and the update see the known channels
    mixed = torch.cat([torch.zeros(1, 2, 10, 10), mask.expand(-1, 2, -1, -1)], 1)
    _, m3 = pconv(x, mixed)
    assert not m3.any()


def test_partial_conv_is_stateless_and_saves_only_weight_and_bias():
    pconv = PartialConv2d(3, 4, 3, padding=1)
    assert set(pconv.state_dict()) == {"weight", "bias"}
    before = {k: v for k, v in vars(pconv).items() if isinstance(v, torch.Tensor)}
    pconv(torch.randn(1, 3, 8, 8), _square_hole(8, 2, 3))
    after = {k: v for k, v in vars(pconv).items() if isinstance(v, torch.Tensor)}
    assert before.keys() == after.keys()  # no mask cached on self
    result = pconv(torch.randn(1, 3, 8, 8), torch.zeros(1, 1, 8, 8))
    assert isinstance(result, tuple) and len(result) == 2


def test_partial_conv_refuses_bad_masks_and_options():
    pconv = PartialConv2d(3, 4, 3, padding=1)
    with pytest.raises(ValueError, match="mask must be"):
        pconv(torch.randn(1, 3, 8, 8), torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match="groups=1"):
        PartialConv2d(4, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        PartialConv2d(4, 4, 3, padding_mode="reflect")


# ----------------------------------------------------------------------------- region normalization
def _two_regions() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(4)
    mask = torch.zeros(2, 1, 16, 16)
    mask[0, :, 2:10, 3:9] = 1
    mask[1, :, 8:, :] = 1
    x = torch.randn(2, 3, 16, 16) * (1 + 4 * mask) + 10 * mask - 3  # very different statistics per region
    return x, mask


def _region_stats(y: torch.Tensor, region: torch.Tensor):
    count = region.sum(dim=(2, 3))
    mean = (y * region).sum(dim=(2, 3)) / count
    var = (((y - mean[..., None, None]) * region) ** 2).sum(dim=(2, 3)) / count
    return mean, var


def test_region_norm_b_normalizes_each_region_of_each_sample_and_channel():
    x, mask = _two_regions()
    norm = RegionNormB(3)
    y = norm(x, mask)
    for region in (mask, 1 - mask):
        mean, var = _region_stats(y, region)
        torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-4, rtol=0)
        torch.testing.assert_close(var, torch.ones_like(var), atol=1e-3, rtol=0)
    # a whole-image normalization would not do that
    mean, _ = _region_stats(F.instance_norm(x), mask)
    assert mean.abs().min() > 0.5


def test_region_norm_b_regions_do_not_interact_and_have_their_own_affine():
    x, mask = _two_regions()
    norm = RegionNormB(3)
    with torch.no_grad():
        norm.weight_hole.fill_(2.0)
        norm.bias_hole.fill_(3.0)
    y = norm(x, mask)
    mean, var = _region_stats(y, mask)
    torch.testing.assert_close(mean, torch.full_like(mean, 3.0), atol=1e-4, rtol=0)
    torch.testing.assert_close(var, torch.full_like(var, 4.0), atol=1e-2, rtol=0)
    known_mean, _ = _region_stats(y, 1 - mask)
    torch.testing.assert_close(known_mean, torch.zeros_like(known_mean), atol=1e-4, rtol=0)
    # changing the hole values leaves the known region's output unchanged, and sample 1 ignores sample 0
    y2 = norm(x + mask * torch.randn_like(x) * 5, mask)
    assert torch.allclose(y * (1 - mask), y2 * (1 - mask), atol=1e-5)
    x3 = x.clone()
    x3[0] = torch.randn_like(x3[0])
    assert torch.allclose(norm(x3, mask)[1], y[1], atol=1e-6)


def test_region_norm_handles_an_empty_region():
    x = torch.randn(1, 2, 8, 8) * 3 + 1
    y = region_normalize(x, torch.zeros(1, 1, 8, 8))
    torch.testing.assert_close(y, F.instance_norm(x), atol=1e-4, rtol=0)


def test_region_norm_l_uses_thresholded_attention_regions_and_a_pixelwise_affine():
    torch.manual_seed(5)
    norm = RegionNormL(4, threshold=0.5)
    x = torch.randn(2, 4, 12, 12)
    pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
    attention = torch.sigmoid(norm.attention(pooled))
    regions = (attention >= 0.5).float()
    assert 0 < regions.mean() < 1  # both regions are present for this seed
    expected = region_normalize(x, regions) * (1 + norm.gamma(attention)) + norm.beta(attention)
    torch.testing.assert_close(norm(x), expected)
    with torch.no_grad():
        for conv in (norm.gamma, norm.beta):
            conv.weight.zero_()
            conv.bias.zero_()
    y = norm(x)
    for region in (regions, 1 - regions):
        mean, _ = _region_stats(y, region)
        torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-4, rtol=0)


# ----------------------------------------------------------------------------- fast Fourier convolution
def test_fourier_unit_keeps_odd_sizes_and_sees_the_whole_image():
    torch.manual_seed(6)
    unit = FourierUnit(3, 5).eval()
    x = torch.randn(1, 3, 13, 17)
    y = unit(x)
    assert y.shape == (1, 5, 13, 17) and torch.isfinite(y).all()
    x2 = x.clone()
    x2[..., 0, 0] += 5.0
    changed = (unit(x2) - y).abs().sum(1)[0]
    assert changed[-1, -1] > 0 and changed[6, 8] > 0  # a global receptive field from one layer


def test_ffc_splits_local_and_global_channels_and_only_the_global_path_is_global():
    torch.manual_seed(7)
    ffc = FFC(8, 8, 3, ratio_gin=0.5, ratio_gout=0.5, padding=1).eval()
    assert ffc.out_channels == (4, 4)
    x_l, x_g = torch.randn(1, 4, 16, 16), torch.randn(1, 4, 16, 16)
    y_l, y_g = ffc((x_l, x_g))
    assert y_l.shape == y_g.shape == (1, 4, 16, 16)
    bumped = x_l.clone()
    bumped[..., 0, 0] += 5.0
    z_l, z_g = ffc((bumped, x_g))  # the local input only reaches the outputs through 3×3 convolutions
    assert torch.equal(z_l[..., 8:, 8:], y_l[..., 8:, 8:]) and torch.equal(z_g[..., 8:, 8:], y_g[..., 8:, 8:])
    bumped = x_g.clone()
    bumped[..., 0, 0] += 5.0
    _, z_g = ffc((x_l, bumped))  # the global input reaches every output pixel
    assert not torch.allclose(z_g[..., 8:, 8:], y_g[..., 8:, 8:])


def test_ffc_resnet_block_keeps_shapes_and_is_residual():
    block = FFCResnetBlock(16, ratio_global=0.75)
    x = (torch.randn(2, 4, 10, 10), torch.randn(2, 12, 10, 10))
    y = block(x)
    assert [t.shape for t in y] == [t.shape for t in x]
    y[0].sum().add(y[1].sum()).backward()
    assert all(p.grad is not None for p in block.parameters())
