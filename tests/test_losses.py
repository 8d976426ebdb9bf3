"""Training losses and discriminators (train/losses.py, train/discriminators.py) at tiny sizes."""
import math

import pytest
import torch
import torchvision
from torch import nn

from train import losses as L
from train.discriminators import DISCRIMINATORS, create_discriminator, crop_around_holes


def _batch(seed=0, size=16):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(2, 3, size, size, generator=g)
    pred = torch.rand(2, 3, size, size, generator=g)
    mask = torch.zeros(2, 1, size, size)
    mask[:, :, 4:10, 5:12] = 1
    return pred, target, mask


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return L.VGG16Features(torchvision.models.vgg16(weights=None))


# ----------------------------------------------------------------------------- reconstruction
def test_masked_mse_ignores_known_pixels_and_averages_over_the_hole():
    pred, target, mask = _batch()
    changed = pred.clone()
    changed[mask.expand_as(pred) == 0] = 5.0  # known pixels do not count
    hole = mask.expand_as(pred).bool()
    expected = ((pred - target)[hole] ** 2).mean()
    assert torch.allclose(L.masked_mse(pred, target, mask), expected)
    assert torch.allclose(L.masked_mse(changed, target, mask), expected)
    assert L.mse(changed, target, mask) > L.mse(pred, target, mask)


def test_weighted_and_masked_l1_apply_separate_weights():
    pred, target, mask = _batch()
    err2, err1 = (pred - target) ** 2, (pred - target).abs()
    expected = (err2 * (mask * 10 + (1 - mask) * 1)).mean()
    assert torch.allclose(L.weighted_mse(pred, target, mask, hole_weight=10, known_weight=1), expected)
    expected_l1 = (err1 * (mask * 0 + (1 - mask) * 10)).mean()
    assert torch.allclose(L.masked_l1(pred, target, mask), expected_l1)  # LaMa defaults: 0 hole, 10 known
    assert torch.allclose(L.l1_valid(pred, target, mask) + L.l1_hole(pred, target, mask), err1.mean())


def test_coarse_hole_l1_sees_colour_shifts_not_fine_texture_and_ignores_known_pixels():
    target = torch.full((1, 3, 16, 16), 0.5)
    mask = torch.zeros(1, 1, 16, 16)
    mask[:, :, 4:12, 4:12] = 1  # aligned with the 2x and 4x pooling cells
    assert L.l1_hole_coarse(target, target, mask) == 0
    # A +-0.2 checkerboard in the hole: large per-pixel error, none after 2x2 pooling.
    yy, xx = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    checker = target + 0.2 * (((yy + xx) % 2) * 2 - 1).float()
    assert L.l1_hole(checker, target, mask) > 0.01
    assert L.l1_hole_coarse(checker, target, mask) < 1e-6
    # A uniform shift of the hole's colour: the same error at every level.
    shifted = target + 0.2
    assert torch.allclose(L.l1_hole_coarse(shifted, target, mask), L.l1_hole(shifted, target, mask))
    # The raw prediction outside the hole is replaced by the target.
    outside = shifted.clone()
    outside[:, :, :2] = 3.0
    assert torch.allclose(L.l1_hole_coarse(outside, target, mask), L.l1_hole_coarse(shifted, target, mask))
    with pytest.raises(ValueError, match="factors"):
        L.l1_hole_coarse(shifted, target, mask, factors=())
    with pytest.raises(ValueError, match=">= 2"):
        L.l1_hole_coarse(shifted, target, mask, factors=(1,))


def _textured(size=64, seed=0):
    """A photo-like image with detail at every scale: smooth noise summed over octaves."""
    g = torch.Generator().manual_seed(seed)
    image = torch.zeros(1, 3, size, size)
    for octave in (2, 4, 8, 16, 32):
        noise = torch.rand(1, 3, octave, octave, generator=g)
        image += torch.nn.functional.interpolate(noise, size=(size, size), mode="bilinear", align_corners=False) / 5
    return image


def test_laplacian_bands_add_back_to_the_image_and_are_zero_for_a_flat_one():
    image = _textured()
    bands = L.laplacian_bands(image, 3)
    assert [b.shape[-1] for b in bands] == [64, 32, 16]
    low = image
    for _ in range(3):
        low = L._blur5(low)[:, :, ::2, ::2]
    rebuilt = low
    for band in reversed(bands):
        rebuilt = band + torch.nn.functional.interpolate(rebuilt, size=band.shape[-2:], mode="bilinear", align_corners=False)
    assert torch.allclose(rebuilt, image, atol=1e-5)
    assert all(b.abs().max() < 1e-6 for b in L.laplacian_bands(torch.full((1, 3, 20, 20), 0.3), 2))


def test_band_energy_penalises_missing_detail_not_where_the_detail_is():
    target = _textured()
    mask = torch.zeros(1, 1, 64, 64)
    mask[:, :, 16:48, 16:48] = 1
    assert L.band_energy(target, target, mask) < 1e-6
    # A fill with the truth's detail moved elsewhere (the image flipped): wrong pixels, right energy.
    moved = target.flip(-1).flip(-2)
    blur = lambda x, k: torch.nn.functional.avg_pool2d(x, k, 1, k // 2, count_include_pad=False)  # noqa: E731
    mild, heavy = blur(target, 5), blur(target, 9)
    # blur costs more the heavier it is, and more than misplaced detail, though its pixels are closer
    assert L.l1_hole(mild, target, mask) < L.l1_hole(moved, target, mask)
    assert L.band_energy(moved, target, mask) < L.band_energy(mild, target, mask) < L.band_energy(heavy, target, mask)
    # So does too much detail: the truth sharpened (its detail doubled) in the hole.
    loud = 2 * target - heavy
    assert L.band_energy(loud, target, mask) > 0.1
    # Known pixels are composited away; the full-resolution level is left out unless asked for.
    outside = mild.clone()
    outside[:, :, :8] = 5.0
    assert torch.allclose(L.band_energy(outside, target, mask), L.band_energy(mild, target, mask))
    noise = target + 0.05 * torch.randn(target.shape, generator=torch.Generator().manual_seed(1))
    assert L.band_energy(noise, target, mask, levels=(2,)) < 0.5 * L.band_energy(noise, target, mask, levels=(0,))


def test_local_band_energy_asks_for_detail_where_the_truth_has_it():
    """Half textured, half flat: a fill with the same detail on the wrong half has the truth's energy
    overall (the global term hardly sees it) but the wrong energy in every neighbourhood."""
    size = 128
    texture = _textured(size, seed=3)
    flat = torch.full_like(texture, 0.5)
    left = torch.zeros(1, 1, size, size)
    left[..., : size // 2] = 1
    target = left * texture + (1 - left) * flat
    swapped = (1 - left) * texture.flip(-1) + left * flat  # the texture moved to the flat half
    mask = torch.zeros(1, 1, size, size)
    mask[:, :, 16:112, 8:120] = 1
    assert L.local_band_energy(target, target, mask) < 1e-6
    assert L.band_energy(swapped, target, mask) < 0.25 * L.local_band_energy(swapped, target, mask)
    # blur is penalised too, more the heavier it is; misplaced detail costs more than a mild blur
    blur = lambda x, k: torch.nn.functional.avg_pool2d(x, k, 1, k // 2, count_include_pad=False)  # noqa: E731
    mild, heavy = blur(target, 5), blur(target, 9)
    assert 0.05 < L.local_band_energy(mild, target, mask) < L.local_band_energy(heavy, target, mask)
    assert L.local_band_energy(mild, target, mask) < L.local_band_energy(swapped, target, mask)
    outside = mild.clone()
    outside[:, :, :8] = 5.0  # known pixels are composited away
    assert torch.allclose(L.local_band_energy(outside, target, mask), L.local_band_energy(mild, target, mask))
    with pytest.raises(ValueError, match="window"):
        L.local_band_energy(mild, target, mask, window=1)


@pytest.mark.parametrize("term", [L.band_energy, L.local_band_energy], ids=lambda f: f.__name__)
def test_detail_energy_terms_train_the_hole_only_per_image(term):
    """Both detail-energy terms: differentiable in the hole only, the same under bf16 autocast, per image
    (an image without a hole neither adds nor dilutes), 0 for a batch without holes, levels checked."""
    target = _textured()
    mask = torch.zeros(1, 1, 64, 64)
    mask[:, :, 16:48, 16:48] = 1
    mild = torch.nn.functional.avg_pool2d(target, 5, 1, 2, count_include_pad=False)
    fill = mild.clone().requires_grad_(True)
    term(fill, target, mask).backward()
    assert fill.grad[mask.expand_as(fill) == 1].abs().sum() > 0
    assert fill.grad[mask.expand_as(fill) == 0].abs().sum() == 0
    full = term(mild, target, mask)
    assert full > 0.05
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.allclose(term(mild, target, mask), full)
    pair = torch.cat([mild, mild]), torch.cat([target, target])
    assert torch.allclose(term(*pair, torch.cat([mask, torch.zeros_like(mask)])), full)
    assert term(mild, target, torch.zeros_like(mask)) == 0
    for bad in ((), (-1,), (1.5,)):
        with pytest.raises(ValueError, match="level"):
            term(mild, target, mask, levels=bad)


def test_patch_swd_ranks_fills_as_the_realism_score_does_and_charges_detail_of_the_wrong_kind():
    """patch_swd is the realism score's differentiable twin: on the same fills it orders them as
    inpainting.metrics.swd_realism does, and unlike band_energy it charges noise that carries the
    truth's detail energy, because the noise's patches are not the truth's kind of patches."""
    from inpainting.metrics import swd_realism

    target = _textured(96, seed=2)
    mask = torch.zeros(1, 1, 96, 96)
    mask[:, :, 24:72, 20:76] = 1
    blur = lambda x, k: torch.nn.functional.avg_pool2d(x, k, 1, k // 2, count_include_pad=False)  # noqa: E731
    shifted = target.roll(6, dims=-1)  # the truth's detail, a few pixels off: wrong pixels, right kind
    g = torch.Generator().manual_seed(5)
    noisy = blur(target, 9) + 0.02 * torch.randn(target.shape, generator=g)  # blur plus uncorrelated energy
    fills = {"truth": target, "shifted": shifted, "mild blur": blur(target, 5), "heavy blur": blur(target, 9),
             "flat": torch.full_like(target, 0.5)}
    torch.manual_seed(0)
    loss = {k: float(L.patch_swd(v, target, mask, patches=4096, directions=256)) for k, v in fills.items()}
    score = {k: float(swd_realism(v, target, mask)) for k, v in fills.items()}
    assert loss["truth"] == 0 and score["truth"] == 0
    assert sorted(loss, key=loss.get) == sorted(score, key=score.get) == list(fills)
    # the full-resolution energy the blur lost, given back as noise: band_energy is content, patch_swd is not
    assert L.band_energy(noisy, target, mask, levels=(0,)) < 0.2 * L.band_energy(blur(target, 9), target, mask, levels=(0,))
    torch.manual_seed(0)
    assert L.patch_swd(noisy, target, mask) > 2.5 * L.patch_swd(shifted, target, mask)


def test_patch_swd_trains_the_hole_only_per_image_and_checks_its_options():
    target = _textured()
    mask = torch.zeros(1, 1, 64, 64)
    mask[:, :, 16:48, 16:48] = 1
    mild = torch.nn.functional.avg_pool2d(target, 5, 1, 2, count_include_pad=False)
    fill = mild.clone().requires_grad_(True)
    L.patch_swd(fill, target, mask).backward()
    assert fill.grad[mask.expand_as(fill) == 1].abs().sum() > 0
    assert fill.grad[mask.expand_as(fill) == 0].abs().sum() == 0
    torch.manual_seed(3)
    full = L.patch_swd(mild, target, mask)
    assert full > 0.05
    torch.manual_seed(3)  # the same draws of positions and directions under bf16 autocast
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.allclose(L.patch_swd(mild, target, mask), full)
    torch.manual_seed(3)  # an image without a hole neither adds nor dilutes
    pair = torch.cat([mild, mild]), torch.cat([target, target])
    assert torch.allclose(L.patch_swd(*pair, torch.cat([mask, torch.zeros_like(mask)])), full)
    assert L.patch_swd(mild, target, torch.zeros_like(mask)) == 0
    for bad in (dict(patch=4), dict(patch=0), dict(patches=1), dict(directions=0), dict(levels=())):
        with pytest.raises(ValueError, match="patch|level"):
            L.patch_swd(mild, target, mask, **bad)
    assert "patch_swd" in L.LOSSES


def test_total_variation_is_zero_for_flat_composite_and_sees_only_the_dilated_hole():
    _, target, mask = _batch()
    flat = torch.full_like(target, 0.5)
    assert L.total_variation(flat, flat, mask) == 0
    noisy = torch.rand_like(target)
    assert L.total_variation(noisy, flat, mask) > 0
    # Far outside the hole the raw prediction is replaced by the target: no effect.
    far = flat.clone()
    far[:, :, 13:, :] = torch.rand_like(far[:, :, 13:, :])
    assert L.total_variation(far, flat, mask) == 0


def test_ssim_loss_is_one_minus_the_evaluation_ssim_of_the_composite():
    from inpainting.metrics import ssim

    torch.manual_seed(0)
    target = torch.rand(2, 3, 24, 24)
    mask = torch.zeros(2, 1, 24, 24)
    mask[:, :, 6:18, 6:18] = 1
    assert L.ssim_loss(target, target, mask).abs() < 1e-6
    noisy = (target + 0.3 * torch.randn_like(target)).requires_grad_(True)
    loss = L.ssim_loss(noisy, target, mask)
    composite = (mask * noisy + (1 - mask) * target).clamp(0, 1)
    assert torch.allclose(loss, 1 - ssim(composite, target).mean())
    assert loss > 0.05
    loss.backward()
    assert noisy.grad[mask.expand_as(noisy) == 1].abs().sum() > 0
    assert noisy.grad[mask.expand_as(noisy) == 0].abs().sum() == 0  # known pixels are composited away
    # A smoothed fill of a smooth image scores better than the same fill with pixel noise added.
    smooth = torch.nn.functional.avg_pool2d(target, 5, 1, 2)
    assert L.ssim_loss(smooth, smooth, mask) < L.ssim_loss(smooth + 0.05 * torch.randn_like(smooth), smooth, mask)


def test_ssim_loss_is_the_same_under_bf16_autocast():
    """Mixed-precision training must not change the SSIM term: in bf16 its E[x²] - E[x]² cancels."""
    torch.manual_seed(0)
    target = torch.rand(2, 3, 48, 48)
    mask = torch.zeros(2, 1, 48, 48)
    mask[:, :, 10:30, 12:40] = 1
    pred = target * (1 - mask) + 0.5 * mask
    full = L.ssim_loss(pred, target, mask)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = L.ssim_loss(pred, target, mask)
    assert mixed.dtype == torch.float32 and torch.allclose(mixed, full, atol=1e-6)


# ----------------------------------------------------------------------------- perceptual / style
def test_vgg_features_are_pool1_to_pool3(vgg):
    feats = vgg(torch.rand(1, 3, 16, 16))
    assert [tuple(f.shape[1:]) for f in feats] == [(64, 8, 8), (128, 4, 4), (256, 2, 2)]
    assert not any(p.requires_grad for p in vgg.parameters())
    vgg.train()
    assert not vgg.training


def test_perceptual_and_style_are_zero_at_target_positive_otherwise_and_differentiable(vgg):
    pred, target, mask = _batch()
    assert L.perceptual_loss(target, target, mask, vgg=vgg) == 0
    assert L.style_loss(target, target, mask, vgg=vgg) == 0
    pred.requires_grad_(True)
    p, s = L.perceptual_loss(pred, target, mask, vgg=vgg), L.style_loss(pred, target, mask, vgg=vgg)
    assert p > 0 and s > 0
    (p + s).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def test_gram_matrix_is_normalised_by_c_h_w():
    feat = torch.ones(1, 2, 3, 3)
    assert torch.allclose(L.gram_matrix(feat), torch.full((1, 2, 2), 9 / 18))


def test_missing_vgg_weights_error_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(L.MissingWeightsError, match="--no-perceptual"):
        L.find_vgg16_weights()
    with pytest.raises(L.MissingWeightsError, match="does not exist"):
        L.find_vgg16_weights(tmp_path / "nope.pth")
    cached = tmp_path / "hub" / "checkpoints" / L.VGG_WEIGHTS_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    assert L.find_vgg16_weights() == cached


# ----------------------------------------------------------------------------- adversarial
@pytest.mark.parametrize("name", sorted(L.ADVERSARIAL))
def test_adversarial_losses_prefer_a_discriminator_that_tells_real_from_fake(name):
    strategy = L.ADVERSARIAL[name]()
    confident = strategy.discriminator_loss(torch.full((4, 1), 5.0), torch.full((4, 1), -5.0))
    fooled = strategy.discriminator_loss(torch.full((4, 1), -5.0), torch.full((4, 1), 5.0))
    assert confident[0] < fooled[0]
    assert {"d_real", "d_fake"} <= set(confident[1])
    g_fooling, logs = strategy.generator_loss(torch.full((4, 1), 5.0))
    g_caught, _ = strategy.generator_loss(torch.full((4, 1), -5.0))
    assert g_fooling < g_caught and "g_adv" in logs


def test_hinge_and_bce_values():
    hinge = L.HingeAdversarial()
    loss, _ = hinge.discriminator_loss(torch.tensor([[0.5]]), torch.tensor([[0.0]]))
    assert math.isclose(float(loss), 0.5 + 1.0)
    loss, _ = L.BCEAdversarial().generator_loss(torch.zeros(3, 1))
    assert math.isclose(float(loss), math.log(2), rel_tol=1e-6)


def test_r1_penalty_uses_the_gradient_on_real_images():
    torch.manual_seed(0)
    disc = nn.Conv2d(3, 1, 3, padding=1)
    real = torch.rand(2, 3, 8, 8, requires_grad=True)
    fake = torch.rand(2, 3, 8, 8)
    strategy = L.NonSaturatingR1(r1_weight=1.0)
    loss, logs = strategy.discriminator_loss(disc(real), disc(fake), real=real, mask=torch.ones(2, 1, 8, 8))
    assert logs["d_r1"] > 0
    loss.backward()
    assert disc.weight.grad.abs().sum() > 0
    without, _ = L.NonSaturatingR1(r1_weight=0.0).discriminator_loss(disc(real), disc(fake), real=real)
    assert float(loss.detach()) > float(without.detach())


def test_mask_as_fake_target_ignores_known_patches():
    strategy = L.NonSaturatingR1(r1_weight=0.0)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    fake = torch.zeros(1, 1, 2, 2)
    fake[..., 1, :] = 100.0  # "confidently real" only on patches outside the hole
    _, logs = strategy.discriminator_loss(torch.full((1, 1, 2, 2), 10.0), fake, mask=mask)
    assert logs["d_fake"] < 1.0  # the known patches do not count as fake


def test_feature_matching():
    feats = [torch.rand(2, 4, 4, 4), torch.rand(2, 8, 2, 2)]
    assert L.feature_matching_loss(feats, feats) == 0
    assert L.feature_matching_loss([f + 1 for f in feats], feats) > 0


# ----------------------------------------------------------------------------- discriminators
@pytest.mark.parametrize("name", sorted(DISCRIMINATORS))
def test_discriminators_score_images_and_learn(name):
    torch.manual_seed(0)
    disc = create_discriminator(name, image_size=32, base_channels=8)
    image, mask = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    mask[:, :, 10:20, 12:22] = 1
    condition = image * (1 - mask) if getattr(disc, "cond_channels", 0) else None
    logits, features = disc(image, mask, condition)
    outputs = logits if isinstance(logits, list) else [logits]  # a multi-scale critic: one per scale
    assert all(out.shape[0] == 2 and torch.isfinite(out).all() for out in outputs)
    sum(out.mean() for out in outputs).backward()
    assert all(p.grad is not None for p in disc.parameters() if p.requires_grad)
    assert isinstance(features, list)


def test_multiscale_critic_judges_the_pooled_image_at_its_coarse_scale_and_adopts_a_single_scale_one():
    from train.discriminators import MultiScaleDiscriminator, NLayerDiscriminator

    torch.manual_seed(0)
    disc = MultiScaleDiscriminator(scales=2, base_channels=8, n_layers=2, image_size=32)
    image, mask = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    # the same 2×2 means, other pixels: scale 1 (the image at 1/2) cannot tell, scale 0 can
    checker = torch.tensor([[0.1, -0.1], [-0.1, 0.1]]).repeat(16, 16)
    other = (image + checker).clamp(0, 1)
    other = other - torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(other - image, 2), scale_factor=2)
    (a0, a1), feats = disc(image, mask)
    (b0, b1), _ = disc(other, mask)
    assert torch.allclose(a1, b1, atol=1e-5) and not torch.allclose(a0, b0, atol=1e-3)
    assert a1.shape[-1] < a0.shape[-1] and len(feats) == 2 * 3  # features of both scales
    single = NLayerDiscriminator(base_channels=8, n_layers=2, image_size=32)
    before = {k: v.clone() for k, v in disc.state_dict().items()}
    disc.load_state_dict(disc.adapt_state_dict(single.state_dict()))
    for key, value in single.state_dict().items():
        assert torch.equal(disc.state_dict()[f"scales.0.{key}"], value)
    assert all(torch.equal(disc.state_dict()[k], v) for k, v in before.items() if k.startswith("scales.1."))
    assert disc.adapt_state_dict(before) is before
    with pytest.raises(ValueError, match="scales must be >= 1"):
        MultiScaleDiscriminator(scales=0)


def test_conditional_patchgan_requires_its_condition():
    disc = create_discriminator("patchgan", image_size=32, base_channels=8, cond_channels=3)
    with pytest.raises(ValueError, match="conditional"):
        disc(torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32))


def test_local_crop_is_centred_on_the_hole():
    image = torch.arange(32 * 32, dtype=torch.float32).reshape(1, 1, 32, 32).repeat(1, 3, 1, 1)
    mask = torch.zeros(1, 1, 32, 32)
    mask[:, :, 20:26, 2:8] = 1  # centre (22, 4): the crop is clamped at the left border
    crop = crop_around_holes(image, mask, 8)
    assert torch.equal(crop, image[:, :, 18:26, 0:8])
    with pytest.raises(ValueError, match="larger than the image"):
        crop_around_holes(image, mask, 64)


def test_perceptual_and_style_share_one_vgg_pass_per_step(vgg):
    pred, target, mask = _batch()
    calls = []
    handle = vgg.register_forward_hook(lambda *args: calls.append(1))
    try:
        L.perceptual_loss(pred, target, mask, vgg=vgg)
        L.style_loss(pred, target, mask, vgg=vgg)
        assert len(calls) == 1
        L.style_loss(pred.clone(), target, mask, vgg=vgg)  # other tensors: computed afresh
        assert len(calls) == 2
    finally:
        handle.remove()


# ----------------------------------------------------------------------------- hole-size-aware weights
@pytest.mark.parametrize("name", sorted(L.ADVERSARIAL))
def test_sample_weight_scales_each_samples_generator_term(name):
    strategy = L.ADVERSARIAL[name]()
    logits = torch.tensor([[[[-3.0]]], [[[2.0]]]])  # sample 0 caught, sample 1 fooling
    plain, _ = strategy.generator_loss(logits)
    ones, _ = strategy.generator_loss(logits, sample_weight=torch.ones(2))
    assert torch.isclose(plain, ones)
    only_second, _ = strategy.generator_loss(logits, sample_weight=torch.tensor([0.0, 1.0]))
    second_alone, _ = strategy.generator_loss(logits[1:])
    assert torch.isclose(only_second, second_alone / 2)  # the batch mean: the dropped sample adds 0
    with pytest.raises(ValueError, match="one weight per sample"):
        strategy.generator_loss(logits, sample_weight=torch.ones(3))


def test_sample_weight_in_feature_matching():
    real = [torch.zeros(2, 4, 4, 4)]
    fake = [torch.zeros(2, 4, 4, 4)]
    fake[0][0] = 1.0  # only sample 0 differs
    assert L.feature_matching_loss(fake, real, sample_weight=torch.tensor([0.0, 1.0])) == 0
    assert torch.isclose(L.feature_matching_loss(fake, real, sample_weight=torch.ones(2)),
                         L.feature_matching_loss(fake, real))


def test_hole_ramp_weight_and_its_validation():
    from train.recipes import AdversarialSpec

    mask = torch.zeros(4, 1, 10, 10)
    mask[1, :, :1] = 1   # 10 % hole
    mask[2, :, :3] = 1   # 30 %
    mask[3, :, :6] = 1   # 60 %
    weight = L.hole_ramp_weight(mask, (0.1, 0.4))
    assert torch.allclose(weight, torch.tensor([0.0, 0.0, 2 / 3, 1.0]))
    assert L.hole_ramp_weight(mask, None) is None
    for bad in [(0.4, 0.1), (-0.1, 0.5), (0.2, 1.5)]:
        with pytest.raises(ValueError, match="hole_ramp"):
            AdversarialSpec("nlayer", hole_ramp=bad)
