"""Every learned family of the registry, at tiny sizes: shapes, gradients, hub round trips, the
mask contract. Big presets are only instantiated (on the meta device), never run."""
from __future__ import annotations

import inspect
import json
import shutil

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import inpainting
from inpainting import WeightsError
from inpainting.layers.ffc import FourierContext
from inpainting.models.pconv_unet import FullResolutionRefiner
from inpainting.registry import get_architecture

LEARNED = [info.name for info in inpainting.list_architectures(kind="learned")]
PRESETS = [(info.name, preset) for info in inpainting.list_architectures(kind="learned") for preset in info.presets]
# Every family's tiny preset, plus the options a tiny preset does not exercise.
VARIANTS = [(name, {}) for name in LEARNED] + [
    ("pconv-unet", {"norm": "region"}),
    ("pconv-unet", {"norm": "none"}),
    ("pconv-unet", {"convs_per_level": 2, "first_level_downsamples": False}),
    ("pconv-unet", {"context_levels": [0]}),
    ("pconv-unet", {"upsample": "bilinear"}),
    ("pconv-unet", {"refine_channels": 4}),
    ("pconv-unet", {"edge_blend": 2.0}),
    ("glcic", {"skip": True}),
    ("glcic", {"dam": True}),
    ("residual-generator", {"predict": "hole"}),
]
VARIANT_IDS = [name + "".join(f"-{k}={v}" for k, v in options.items()) for name, options in VARIANTS]


def tiny(name: str, seed: int = 0, **options):
    torch.manual_seed(seed)
    return inpainting.create_model(name, "tiny", **options)


def inputs(model, height: int = 16, width: int = 16, batch: int = 2, seed: int = 0):
    """A random image and a mask with a rectangular hole, padded (reflect) to the model's multiple."""
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, height, width, generator=g)
    mask = torch.zeros(batch, 1, height, width)
    mask[..., height // 4: height // 4 + height // 3, width // 3: width // 3 + width // 3] = 1
    m = model.pad_multiple
    pad = (0, -width % m, 0, -height % m)
    return F.pad(image, pad, mode="reflect"), F.pad(mask, pad, mode="reflect")


def test_every_learned_family_is_registered_with_tiny_and_small_presets():
    assert {"conv-autoencoder", "pconv-unet", "glcic", "unet-generator", "residual-generator",
            "two-stage-generator", "lama-ffc"} <= set(LEARNED)
    for name in LEARNED:
        info = get_architecture(name)
        assert {"tiny", "small"} <= set(info.presets), name
        assert info.default_preset in info.presets and info.description
    assert get_architecture("conv-autoencoder").blind and not get_architecture("pconv-unet").blind


@pytest.mark.parametrize("name,preset", PRESETS, ids=[f"{n}-{p}" for n, p in PRESETS])
def test_every_preset_builds_with_a_json_config_and_the_registry_attributes(name, preset):
    info = get_architecture(name)
    with torch.device("meta"):  # no memory, no time: big presets are never run here
        model = inpainting.create_model(name, preset)
    config = json.loads(json.dumps(model.config))
    assert config == info.preset_config(preset) | {k: v for k, v in config.items() if k not in info.presets[preset]}
    assert set(config) == set(inspect.signature(info.cls.__init__).parameters) - {"self"}
    assert model.pad_multiple >= 1 and model.native_size % model.pad_multiple == 0
    params = sum(p.numel() for p in model.parameters())
    if preset == "tiny":
        assert params < 10_000, params
    if preset == "small":
        assert 300_000 <= params <= 2_000_000, params
    # One working size per family: the __init__ default, which the registry reports and no preset repeats.
    assert "native_size" not in info.presets[preset]
    default = inspect.signature(info.cls.__init__).parameters["native_size"].default
    assert model.native_size == info.native_size == default
    if preset == info.default_preset:  # the registry's pad_multiple describes the default preset
        assert info.pad_multiple == model.pad_multiple


@pytest.mark.parametrize("name", LEARNED)
def test_the_working_size_is_a_config_argument_that_round_trips(name, tmp_path):
    model = tiny(name, native_size=48)  # what the trainer does with its recipe's size
    assert model.native_size == 48 != get_architecture(name).native_size
    model.save_pretrained(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["native_size"] == 48
    assert inpainting.load_model(str(tmp_path / "m"), device="cpu").native_size == 48


@pytest.mark.parametrize("name", LEARNED)
def test_docstring_lists_every_config_parameter_and_the_card_metadata(name):
    cls = get_architecture(name).cls
    for param in list(inspect.signature(cls.__init__).parameters)[1:]:
        assert param in cls.__doc__, f"{cls.__name__} docstring does not list {param!r}"
        assert param in inspect.get_annotations(cls.__init__), f"{param!r} is not annotated"
    card = cls._hub_mixin_info.model_card_data
    assert "inpainting" in card.tags and card.pipeline_tag == "image-to-image"
    assert card.library_name and card.license
    assert cls._hub_mixin_info.paper_url.startswith("https://") and cls._hub_mixin_info.repo_url.startswith("https://")
    module_doc = inspect.getmodule(cls).__doc__
    assert "arxiv.org" in module_doc or "doi.org" in module_doc  # the paper is cited


@pytest.mark.parametrize("name,options", VARIANTS, ids=VARIANT_IDS)
def test_forward_on_an_odd_size_after_padding(name, options):
    model = tiny(name, **options).eval()
    image, mask = inputs(model, 13, 19)
    with torch.no_grad():
        out = model(image, mask)
    assert out.shape == image.shape
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert out[..., :13, :19].shape == (2, 3, 13, 19)


@pytest.mark.parametrize("name,options", VARIANTS, ids=VARIANT_IDS)
def test_every_parameter_gets_a_gradient(name, options):
    model = tiny(name, **options).train()
    for block in model.modules():  # zero-initialised residuals: as after a first step (their own test below)
        if isinstance(block, FourierContext):
            block.transform.expand.weight.data.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))
        if isinstance(block, FullResolutionRefiner):
            block.body[-1].weight.data.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))
    image, mask = inputs(model, 16, 16)
    target = torch.rand_like(image)
    F.mse_loss(model(image, mask), target).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient for {missing}"


@pytest.mark.parametrize("name,options", VARIANTS, ids=VARIANT_IDS)
def test_the_output_does_not_depend_on_the_pixels_under_the_hole(name, options):
    model = tiny(name, **options).eval()
    image, mask = inputs(model, 16, 16)
    g = torch.Generator().manual_seed(1)
    other = image * (1 - mask) + mask * torch.rand(image.shape, generator=g)
    with torch.no_grad():
        out, out_other = model(image, mask), model(other, mask)
        damaged = image * (1 - mask)
        without_mask = model(damaged, torch.zeros_like(mask))
    assert torch.equal(out, out_other)
    if model.blind:  # sees the damaged image only: given it, the mask changes nothing
        assert torch.equal(model(damaged, mask), without_mask)
    else:  # sees the mask as well
        assert not torch.allclose(out, without_mask)


def test_residual_generator_predicting_the_hole_passes_known_pixels_through():
    model = tiny("residual-generator", predict="hole").eval()
    image, mask = inputs(model)
    with torch.no_grad():
        out = model(image, mask)
    assert torch.equal(out * (1 - mask), image * (1 - mask))


def test_two_stage_generator_returns_its_coarse_and_refined_predictions():
    model = tiny("two-stage-generator").eval()
    image, mask = inputs(model)
    with torch.no_grad():
        coarse, refined = model.forward_stages(image, mask)
        assert torch.equal(refined, model(image, mask))
    assert coarse.shape == refined.shape and not torch.equal(coarse, refined)


@pytest.mark.parametrize("name", LEARNED)
def test_bad_inputs_are_refused_with_a_clear_error(name):
    model = tiny(name)
    image, mask = inputs(model)
    with pytest.raises(ValueError, match="pad_multiple"):
        model(image[..., :-1], mask[..., :-1])
    with pytest.raises(ValueError, match="B×3×H×W"):
        model(image[:, :2], mask)
    with pytest.raises(ValueError, match="mask must be B×1×H×W"):
        model(image, mask.expand(-1, 3, -1, -1))


# ----------------------------------------------------------------------------- hub round trips
def _populate_hub_cache(cache, repo_id: str, folder) -> None:
    """The layout huggingface_hub's cache uses: refs/main names a snapshot folder with the files."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo_dir / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for filename in ("config.json", "model.safetensors"):
        shutil.copy(folder / filename, snapshot / filename)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit)


@pytest.mark.parametrize("name,options", VARIANTS, ids=VARIANT_IDS)
def test_save_and_load_give_identical_outputs_from_a_folder_and_the_hub_cache(name, options, tmp_path):
    model = tiny(name, **options)
    image, mask = inputs(model)
    model.train()
    model(image, mask)  # move BatchNorm running statistics away from their initial values
    model.eval()
    with torch.no_grad():
        expected = model(image, mask)
    model.save_pretrained(tmp_path / "saved", metadata={"description": "test"})
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert config["architecture"] == name
    assert {k: v for k, v in config.items() if k not in ("architecture", "inpainting_hub")} == json.loads(
        json.dumps(model.config))

    cls = get_architecture(name).cls
    _populate_hub_cache(tmp_path / "cache", "org/name", tmp_path / "saved")
    loaded = [
        cls.from_pretrained(tmp_path / "saved"),
        inpainting.load_model(str(tmp_path / "saved"), device="cpu"),
        cls.from_pretrained("org/name", cache_dir=tmp_path / "cache"),
    ]
    for other in loaded:
        assert type(other) is cls and other.config == json.loads(json.dumps(model.config))
        with torch.no_grad():
            assert torch.equal(other.eval()(image, mask), expected)


@pytest.mark.parametrize("name", LEARNED)
def test_weights_that_do_not_match_the_config_fail_loudly(name, tmp_path):
    model = tiny(name)
    model.save_pretrained(tmp_path / "ok")
    weights = load_file(tmp_path / "ok" / "model.safetensors")
    key = next(k for k, v in weights.items() if v.dim() >= 2)
    for label, broken in {
        "missing": {k: v for k, v in weights.items() if k != key},
        "unexpected": {**weights, "extra.weight": torch.zeros(2)},
        "shape": {**weights, key: torch.zeros(weights[key].shape[0] + 1, *weights[key].shape[1:])},
    }.items():
        folder = tmp_path / label
        shutil.copytree(tmp_path / "ok", folder)
        save_file(broken, folder / "model.safetensors")
        with pytest.raises(WeightsError, match="do not match"):
            type(model).from_pretrained(folder)
    # a config that differs from the weights (other sizes) is refused too
    config = json.loads((tmp_path / "ok" / "config.json").read_text())
    other = get_architecture(name).preset_config("small")
    shutil.copytree(tmp_path / "ok", tmp_path / "config")
    (tmp_path / "config" / "config.json").write_text(json.dumps({**config, **other}))
    with pytest.raises(WeightsError):
        inpainting.load_model(str(tmp_path / "config"))


# ----------------------------------------------------------------------------- Liu et al.'s network
def test_liu2018_preset_has_the_parameter_count_of_the_paper_network():
    # Liu et al. 2018 (for 256×256, 7 levels): encoder PConv1-7, decoder PConv8-14, every decoder
    # layer reading the upsampled features concatenated with the encoder's (the last one with the
    # input image). Batch norm after all but PConv1 and the last layer, which carry a bias instead.
    encoder = [(3, 64, 7), (64, 128, 5), (128, 256, 5), (256, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3)]
    decoder = [(512 + 512, 512), (512 + 512, 512), (512 + 512, 512), (512 + 256, 256), (256 + 128, 128),
               (128 + 64, 64), (64 + 3, 3)]
    layers = encoder + [(cin, cout, 3) for cin, cout in decoder]
    weights = sum(cin * cout * k * k for cin, cout, k in layers)
    biases = layers[0][1] + layers[-1][1]  # PConv1 and the output layer
    batch_norm = 2 * sum(cout for _, cout, _ in layers[1:-1])  # scale and shift
    expected = weights + biases + batch_norm
    with torch.device("meta"):
        model = inpainting.create_model("pconv-unet", "liu2018")
    assert sum(p.numel() for p in model.parameters()) == expected == 25_779_860
    assert model.pad_multiple == 128


def test_pconv_upsample_mode_keeps_the_weights_changes_the_fill_and_round_trips(tmp_path):
    """A nearest-upsampling network's weights load into the bilinear one unchanged (upsampling has no
    weights: a trained model can continue in the other mode), the fill in the hole differs, the
    mode travels in config.json, and a wrong mode is refused with the accepted ones."""
    nearest = tiny("pconv-unet", seed=3, channels=[4, 8, 8], kernel_sizes=[3, 3, 3]).eval()
    bilinear = inpainting.create_model("pconv-unet", "tiny", channels=[4, 8, 8], kernel_sizes=[3, 3, 3],
                                       upsample="bilinear").eval()
    bilinear.load_state_dict(nearest.state_dict())  # strict: the same tensors
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        a, b = nearest(image, mask), bilinear(image, mask)
    assert (a - b)[..., 8:24, 8:24].abs().mean() > 1e-3
    bilinear.save_pretrained(tmp_path / "bilinear")
    assert json.loads((tmp_path / "bilinear" / "config.json").read_text())["upsample"] == "bilinear"
    loaded = inpainting.load_model(str(tmp_path / "bilinear")).eval()
    with torch.no_grad():
        assert torch.allclose(loaded(image, mask), b)
    with pytest.raises(ValueError, match=r"upsample must be one of \['bilinear', 'nearest'\], got 'bicubic'"):
        inpainting.create_model("pconv-unet", "tiny", upsample="bicubic")


def test_pconv_refiner_grows_onto_a_trained_network_as_the_identity_then_works_at_full_resolution(tmp_path):
    """A full-resolution refiner added to a trained PConv U-Net leaves it unchanged (adapt_state_dict);
    once its last convolution leaves zero it changes the fill pixel by pixel, not in the 2×2 blocks
    the half-resolution decoder repeats; the known pixels stay out of its input; config round-trips."""
    plain = tiny("pconv-unet", seed=1).eval()
    grown = inpainting.create_model("pconv-unet", "tiny", refine_channels=4).eval()
    assert set(grown.adapt_state_dict(plain.state_dict())) == set(grown.state_dict())
    grown.load_state_dict(grown.adapt_state_dict(plain.state_dict()))
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        assert torch.equal(plain(image, mask), grown(image, mask))
    grown(image, mask).mean().backward()  # the identity can be left: the last convolution gets a gradient
    assert grown.refine.body[-1].weight.grad.abs().sum() > 0
    with torch.no_grad():
        grown.refine.body[-1].weight.normal_(0, 0.5, generator=torch.Generator().manual_seed(2))
        change = grown(image, mask) - plain(image, mask)
        assert change[..., 8:24, 8:24].abs().mean() > 1e-3
        # within one 2×2 block of the half-resolution decoder the change differs from pixel to pixel
        blocks = change[..., 8:24, 8:24].unfold(2, 2, 2).unfold(3, 2, 2)
        assert (blocks - blocks[..., :1, :1]).abs().amax() > 1e-4
        garbage = image.clone()
        garbage[..., 8:24, 8:24] = torch.rand(1, 3, 16, 16)  # the hole's pixels are not read
        assert torch.equal(grown(image, mask), grown(garbage, mask))
    grown.save_pretrained(tmp_path / "refined")
    assert json.loads((tmp_path / "refined" / "config.json").read_text())["refine_channels"] == 4
    with torch.no_grad():
        assert torch.allclose(inpainting.load_model(str(tmp_path / "refined")).eval()(image, mask), grown(image, mask))
    broken = {k: v for k, v in plain.state_dict().items() if not k.startswith("encoder.0.")}
    with pytest.raises(RuntimeError, match="encoder.0"):
        grown.load_state_dict(grown.adapt_state_dict(broken))
    with pytest.raises(ValueError, match=r"refine_channels must be >= 0 \(0: no refiner\), got -1"):
        inpainting.create_model("pconv-unet", "tiny", refine_channels=-1)


def _random_batch_norm(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(generator=g)
                module.running_var.uniform_(0.5, 2.0, generator=g)
                module.weight.normal_(generator=g)
                module.bias.normal_(generator=g)


@pytest.mark.parametrize("options, wide", [
    ({"first_level_downsamples": False, "convs_per_level": 2}, [8, 16, 16]),  # every join widened alike
    ({}, [8, 16, 16]),  # the output layer joins the widened first level with the 3-channel photo
])
def test_pconv_widened_copies_channels_and_computes_what_the_narrow_network_computes(tmp_path, options, wide):
    """Net2Net widening: more channels per level, the same fill where every layer's joined inputs are
    widened by one factor (no hole: everywhere), only a small difference along the hole's edge where a
    level joins the 3-channel photo; the same in training mode (batch statistics); a trainable,
    saveable network with the new config; narrower or unsupported networks refused clearly."""
    narrow = tiny("pconv-unet", seed=5, channels=[4, 8, 8], kernel_sizes=[3, 3, 3], **options).eval()
    _random_batch_norm(narrow, 6)
    widened = narrow.widened(wide, seed=1)
    assert widened.config["channels"] == wide and not widened.training
    assert sum(p.numel() for p in widened.parameters()) > 2 * sum(p.numel() for p in narrow.parameters())
    image, mask = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)), torch.zeros(2, 1, 32, 32)
    mask[..., 8:20, 10:24] = 1
    with torch.no_grad():
        assert torch.allclose(widened(image, mask * 0), narrow(image, mask * 0), atol=1e-5)
        gap = (widened(image, mask) - narrow(image, mask)).abs()
        if options:
            assert gap.amax() < 1e-5
        else:
            assert 1e-5 < gap.amax() and gap.mean() < 0.01
        # train mode: batch statistics of copied channels are the copies' statistics
        assert torch.allclose(narrow.train()(image, mask * 0), widened.train()(image, mask * 0), atol=1e-4)
    widened(image, mask).mean().backward()
    grads = [p.grad for p in widened.parameters()]
    assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)
    widened.save_pretrained(tmp_path / "wide")
    loaded = inpainting.load_model(str(tmp_path / "wide"), device="cpu")
    assert loaded.config["channels"] == wide
    with pytest.raises(ValueError, match=r"each at least the current width \[4, 8, 8\], got \[4, 4, 8\]"):
        narrow.widened([4, 4, 8])
    with pytest.raises(ValueError, match="3 levels"):
        narrow.widened([8, 16])
    with pytest.raises(ValueError, match="norm='region'"):
        tiny("pconv-unet", norm="region").widened([8, 16])


def test_pconv_edge_blend_takes_navier_stokes_at_the_hole_edge_and_the_learned_fill_inside(tmp_path):
    """edge_blend=w: hole pixels at distance d from the known ones are clip((d - 0.5) / w, 0, 1)
    learned, the rest OpenCV NS; known pixels and the deep interior keep their sources; gradients
    reach the network; the option round-trips through config.json; a negative width is refused."""
    import cv2
    import numpy as np

    from inpainting.models.classical import opencv_fill

    plain = tiny("pconv-unet", seed=1).eval()
    blended = inpainting.create_model("pconv-unet", "tiny", edge_blend=2.0).eval()
    blended.load_state_dict(plain.state_dict())
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        learned, out = plain(image, mask), blended(image, mask)
        ns = opencv_fill(image * (1 - mask), mask)
    dist = torch.from_numpy(cv2.distanceTransform(mask[0, 0].numpy().astype(np.uint8), cv2.DIST_L2, 5))
    w = ((dist - 0.5) / 2.0).clamp(0, 1)
    assert torch.allclose(out[0], w * learned[0] + (1 - w) * ns[0], atol=1e-6)
    assert torch.equal(out[..., 12:20, 12:20], learned[..., 12:20, 12:20])  # deep inside: all learned
    assert (out[..., 8, 8:24] - learned[..., 8, 8:24]).abs().amax() > 1e-3  # first ring: mostly NS
    assert torch.allclose(out[..., 0:8, :], ns[..., 0:8, :])  # known pixels: NS returns them
    blended(image, mask).mean().backward()
    assert blended.encoder[0][0].conv.weight.grad.abs().sum() > 0
    blended.save_pretrained(tmp_path / "edge")
    assert json.loads((tmp_path / "edge" / "config.json").read_text())["edge_blend"] == 2.0
    with torch.no_grad():
        assert torch.equal(inpainting.load_model(str(tmp_path / "edge")).eval()(image, mask), out)
    with pytest.raises(ValueError, match=r"edge_blend must be >= 0 pixels \(0: none\), got -1"):
        inpainting.create_model("pconv-unet", "tiny", edge_blend=-1)


def test_pconv_flip_average_is_the_mean_of_the_fill_and_the_mirrored_fill_of_the_mirror_image(tmp_path):
    """flip_average: in eval mode the output is (f(x, m) + flip(f(flip(x), flip(m)))) / 2 per image of a
    batch (each image's own mirror, not its neighbour's), which differs from the plain fill; training mode
    gives the plain fill; the option round-trips through config.json and takes only a bool."""
    plain = tiny("pconv-unet", seed=1).eval()
    averaged = inpainting.create_model("pconv-unet", "tiny", flip_average=True).eval()
    averaged.load_state_dict(plain.state_dict())
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 32, 32, generator=gen)
    mask = (torch.rand(2, 1, 32, 32, generator=gen) > 0.7).float()
    with torch.no_grad():
        out = averaged(image, mask)
        expected = torch.stack([
            (plain(image[i:i + 1], mask[i:i + 1]) + plain(image[i:i + 1].flip(-1), mask[i:i + 1].flip(-1)).flip(-1))[0] / 2
            for i in range(2)
        ])
        assert torch.allclose(out, expected, atol=1e-5)
        assert (out - plain(image, mask)).abs().amax() > 1e-3
    averaged.save_pretrained(tmp_path / "flip")
    assert json.loads((tmp_path / "flip" / "config.json").read_text())["flip_average"] is True
    with torch.no_grad():
        assert torch.allclose(inpainting.load_model(str(tmp_path / "flip")).eval()(image, mask), out, atol=1e-6)
        averaged.train(), plain.train()  # last: batch norm's running statistics move in training mode
        assert torch.allclose(averaged(image, mask), plain(image, mask), atol=1e-6)
    with pytest.raises(ValueError, match="flip_average must be true or false, got 'yes'"):
        inpainting.create_model("pconv-unet", "tiny", flip_average="yes")


def test_pconv_context_blocks_start_as_the_identity_and_see_the_whole_image():
    """A Fourier context block added to a trained PConv U-Net leaves it unchanged (adapt_state_dict),
    and once trained it carries a known pixel's change to the far corner, which the 3×3 partial
    convolutions alone do not reach."""
    plain = tiny("pconv-unet", seed=1, channels=[4, 8, 8], kernel_sizes=[3, 3, 3]).eval()
    grown = inpainting.create_model("pconv-unet", "tiny", channels=[4, 8, 8], kernel_sizes=[3, 3, 3],
                                    context_levels=[0, 1]).eval()
    assert set(grown.adapt_state_dict(plain.state_dict())) == set(grown.state_dict())
    grown.load_state_dict(grown.adapt_state_dict(plain.state_dict()))
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 40:56, 40:56] = 1
    with torch.no_grad():
        assert torch.equal(plain(image, mask), grown(image, mask))
    grown(image, mask).mean().backward()  # the identity can be left: its output convolution gets a gradient
    assert all(block.transform.expand.weight.grad.abs().sum() > 0 for block in grown.context.values())
    with torch.no_grad():
        for block in grown.context.values():  # what training does: the output convolution leaves zero
            block.transform.expand.weight.normal_(0, 0.5, generator=torch.Generator().manual_seed(2))
        moved = image.clone()
        moved[..., :4, :4] = 1 - moved[..., :4, :4]  # a known corner far from the other one
        far = (slice(None), slice(None), slice(56, 64), slice(56, 64))
        assert torch.equal(plain(image, mask)[far], plain(moved, mask)[far])  # beyond the convolutions' reach
        assert (grown(image, mask)[far] - grown(moved, mask)[far]).abs().max() > 1e-4
    # anything but the missing context blocks still has to fit
    broken = {k: v for k, v in plain.state_dict().items() if not k.startswith("decoder.0.")}
    with pytest.raises(RuntimeError, match="decoder.0"):
        grown.load_state_dict(grown.adapt_state_dict(broken))
    with pytest.raises(ValueError, match=r"context_levels must be decoder levels \[0, 1\].*got \[2\]"):
        inpainting.create_model("pconv-unet", "tiny", channels=[4, 8, 8], kernel_sizes=[3, 3, 3], context_levels=[2])


def test_widen_script_writes_a_folder_training_continues_from(tmp_path, capsys):
    """scripts/widen_pconv.py: the widened model and the critic beside it; bad input is a clear error."""
    from scripts.widen_pconv import main

    narrow = tiny("pconv-unet", seed=2, channels=[4, 8, 8], kernel_sizes=[3, 3, 3])
    narrow.save_pretrained(tmp_path / "narrow")
    (tmp_path / "narrow" / "discriminator.safetensors").write_bytes(b"critic")
    assert main([str(tmp_path / "narrow"), "--channels", "4,12,12", "--out", str(tmp_path / "wide")]) == 0
    assert "[4, 8, 8] -> [4, 12, 12]" in capsys.readouterr().out
    assert inpainting.load_model(str(tmp_path / "wide"), device="cpu").config["channels"] == [4, 12, 12]
    assert (tmp_path / "wide" / "discriminator.safetensors").read_bytes() == b"critic"
    assert main([str(tmp_path / "narrow"), "--channels", "4,4,8", "--out", str(tmp_path / "bad")]) == 2
    assert "at least the current width" in capsys.readouterr().err
    assert main(["opencv-ns", "--channels", "4,12,12", "--out", str(tmp_path / "bad")]) == 2
    assert "not a pconv-unet" in capsys.readouterr().err


def test_interpolate_script_joins_two_models_and_their_critics_in_weight_space(tmp_path, capsys):
    """scripts/interpolate_weights.py: (1 − α)·A + α·B for every float tensor (both ends exact), B's batch
    counters, the critics joined alike; models of another config and α outside [0, 1] are clear errors."""
    from safetensors.torch import load_file, save_file

    from scripts.interpolate_weights import main

    options = dict(channels=[4, 8, 8], kernel_sizes=[3, 3, 3])
    a, b = tiny("pconv-unet", seed=1, **options), tiny("pconv-unet", seed=2, **options)
    b.train()
    b(*inputs(b))  # B's batch-norm counters and running statistics move, A's do not
    for name, model in (("a", a), ("b", b)):
        model.save_pretrained(tmp_path / name)
        torch.manual_seed(len(name) + ord(name))
        save_file({"w": torch.randn(3, 3), "n": torch.tensor(ord(name))}, tmp_path / name / "discriminator.safetensors")
    run = lambda alpha, out: main([str(tmp_path / "a"), str(tmp_path / "b"), "--alpha", str(alpha),  # noqa: E731
                                   "--out", str(tmp_path / out)])
    for alpha in (0.0, 0.25, 1.0):
        assert run(alpha, f"j{alpha}") == 0
        joined = inpainting.load_model(tmp_path / f"j{alpha}").state_dict()
        for key, value in a.state_dict().items():
            other = b.state_dict()[key]
            if value.is_floating_point():
                torch.testing.assert_close(joined[key], (1 - alpha) * value + alpha * other, rtol=0, atol=1e-6)
            else:
                assert torch.equal(joined[key], other), key
        critic = load_file(tmp_path / f"j{alpha}" / "discriminator.safetensors")
        ca, cb = (load_file(tmp_path / n / "discriminator.safetensors") for n in "ab")
        torch.testing.assert_close(critic["w"], (1 - alpha) * ca["w"] + alpha * cb["w"], rtol=0, atol=1e-6)
    assert not torch.equal(a.state_dict()["encoder.1.0.norm.running_mean"], b.state_dict()["encoder.1.0.norm.running_mean"])
    assert "critic interpolated too" in capsys.readouterr().out
    assert run(1.5, "bad") == 2 and "alpha must be in [0, 1]" in capsys.readouterr().err
    tiny("pconv-unet", seed=3, channels=[4, 8, 12], kernel_sizes=[3, 3, 3]).save_pretrained(tmp_path / "other")
    assert main([str(tmp_path / "a"), str(tmp_path / "other"), "--alpha", "0.5", "--out", str(tmp_path / "x")]) == 2
    assert "differ in config (channels)" in capsys.readouterr().err
