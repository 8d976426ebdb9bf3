"""The Gradio app in a real browser: Debian's Chromium driven by playwright (never `playwright install`).

Uploads a photo, paints a stroke with the mouse, selects two models, runs, downloads both results
and checks that only the stroke area changed. The screenshot is kept in artifacts/ (git-ignored).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
MODELS = ("opencv-telea", "opencv-ns")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


def _distance_to_segment(shape: tuple[int, int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of every pixel (x, y) of an H×W grid to the segment a-b."""
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    points = np.stack([xs, ys], axis=-1).astype(float)
    ab = b - a
    t = np.clip(((points - a) @ ab) / (ab @ ab), 0, 1)
    return np.linalg.norm(points - (a + t[..., None] * ab), axis=-1)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def test_paint_fill_two_models_and_download(app_url, browser, tmp_path):
    from skimage import data

    photo = data.chelsea()  # a real photo, CC0
    photo_path = tmp_path / "chelsea.png"
    Image.fromarray(photo).save(photo_path)
    h, w = photo.shape[:2]

    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    # The editor uploads each edit (background, layers, composite) with accept_blobs; Fill must wait
    # for them, else the server reads a half-stored value (a race in Gradio 6.31's front end).
    uploads = {"pending": 0, "done": 0}
    is_blob = lambda request: "accept_blobs" in request.url  # noqa: E731
    page.on("request", lambda r: uploads.__setitem__("pending", uploads["pending"] + 1) if is_blob(r) else None)
    for event in ("requestfinished", "requestfailed"):
        page.on(event, lambda r: uploads.update(pending=uploads["pending"] - 1, done=uploads["done"] + 1) if is_blob(r) else None)
    page.goto(app_url)
    upload = page.locator('#editor button[aria-label="Upload"]')
    sync_api.expect(upload).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1000)  # let the editor's canvas initialise before the photo arrives
    with page.expect_file_chooser() as chooser:
        upload.click()
    chooser.value.set_files(str(photo_path))
    # After an upload the editor may stay on its image tool (upload / paste); pick the brush as a
    # visitor would. Its size control appears once the photo is on the canvas and drawing is ready.
    sync_api.expect(page.locator('#editor button[aria-label="Show Layers"]')).to_be_visible(timeout=20_000)
    brush_size = page.locator('#editor button[aria-label="Brush Size"]')
    if not brush_size.is_visible():
        page.locator('#editor button[aria-label="Brush"]').click()
    sync_api.expect(brush_size).to_be_visible()
    zoom = page.locator("#editor .zoom-number span")
    sync_api.expect(zoom).to_have_text(re.compile(r"\d+%"))
    canvas = page.locator("#editor canvas").first

    # Page -> image coordinates: the photo is drawn centred in the canvas at the shown zoom.
    box = canvas.bounding_box()
    scale = int(zoom.inner_text().rstrip("%")) / 100
    left, top = box["x"] + (box["width"] - w * scale) / 2, box["y"] + (box["height"] - h * scale) / 2
    start, end = np.array([0.25 * w, 0.55 * h]), np.array([0.70 * w, 0.62 * h])
    page.mouse.move(left + start[0] * scale, top + start[1] * scale)
    page.mouse.down()
    for t in np.linspace(0, 1, 25)[1:]:
        x, y = start + t * (end - start)
        page.mouse.move(left + x * scale, top + y * scale)
    done_before = uploads["done"]
    page.mouse.up()
    for _ in range(100):  # until the stroke's uploads have all finished
        page.wait_for_timeout(100)
        if uploads["done"] > done_before and uploads["pending"] == 0:
            break

    for checkbox in page.locator("#models label").all():
        name = checkbox.inner_text().split(":")[0].strip()
        checkbox.locator("input").set_checked(name in MODELS)
    page.click("#run")
    links = page.locator("#downloads a[download]")
    sync_api.expect(links).to_have_count(len(MODELS), timeout=60_000)
    sync_api.expect(page.locator("#gallery img")).to_have_count(len(MODELS) + 1)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_app_browser.png"), full_page=True)

    distance = _distance_to_segment((h, w), start, end)
    on_stroke = distance < 2
    far = distance > 0.1 * min(h, w)  # well beyond any brush radius the editor picks
    downloaded = []
    for i in range(len(MODELS)):
        with page.expect_download() as info:
            links.nth(i).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        downloaded.append(path.stem)
        with Image.open(path) as image:
            assert image.format == "PNG"
            result = np.asarray(image.convert("RGB"))
        assert result.shape == photo.shape
        changed = (result != photo).any(axis=-1)
        assert changed[on_stroke].mean() > 0.5, "the painted stroke was not filled"
        assert not changed[far].any(), "pixels away from the stroke changed"
    assert sorted(downloaded) == sorted(MODELS)
    page.close()


def _shown(page, h: int, w: int) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The editor canvas as an RGB array and where the photo lies in it: (left, top, scale)."""
    import io

    canvas = page.locator("#editor canvas").first
    zoom = page.locator("#editor .zoom-number span")
    sync_api.expect(zoom).to_have_text(re.compile(r"\d+%"))
    scale = int(zoom.inner_text().rstrip("%")) / 100
    shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    box = canvas.bounding_box()
    ratio = shot.shape[1] / box["width"]  # screenshot pixels per CSS pixel
    return shot, ((box["width"] - w * scale) / 2 * ratio, (box["height"] - h * scale) / 2 * ratio, scale * ratio)


def _expected_on_canvas(hole: np.ndarray, shape: tuple[int, int], place: tuple[float, float, float]) -> np.ndarray:
    """``hole`` drawn where the editor shows the photo, on a canvas of ``shape``."""
    left, top, scale = place
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    px, py = ((xs + 0.5 - left) / scale).astype(int), ((ys + 0.5 - top) / scale).astype(int)
    inside = (px >= 0) & (py >= 0) & (px < hole.shape[1]) & (py < hole.shape[0])
    out = np.zeros(shape, bool)
    out[inside] = hole[py[inside], px[inside]]
    return out


def _assert_drawn_where_expected(page, shown: np.ndarray, expected: np.ndarray, what: str,
                                 photo_area: np.ndarray) -> None:
    """The pixels the mask layer changed lie on the expected hole (within 2 px: anti-aliased edges),
    and cover it (1 px inside its edge), except where the editor's layer panel hides the canvas."""
    import cv2

    canvas = page.locator("#editor canvas").first.bounding_box()
    panel = page.locator("#editor").get_by_text("Layer 1").bounding_box()
    ratio = shown.shape[1] / canvas["width"]
    visible = np.ones_like(shown)
    if panel is not None:  # the layer panel (it grows while the editor redraws): right of and below it, generously
        top = max(0, int((panel["y"] - canvas["y"] - 50) * ratio))
        left = max(0, int((panel["x"] - canvas["x"] - 120) * ratio))
        visible[top:, left:] = False
    kernel = np.ones((5, 5), np.uint8)
    near = cv2.dilate(expected.astype(np.uint8), kernel).astype(bool)
    core = cv2.erode(expected.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & visible
    Image.fromarray(np.stack([shown, near, core], -1).astype(np.uint8) * 255).save(ARTIFACTS / f"{what.replace(' ', '_')}.png")
    shown = shown & photo_area & visible  # the editor's own controls may change too
    precision = (shown & near).sum() / max(1, shown.sum())
    recall = (shown & core).sum() / max(1, core.sum())
    assert core.sum() > 100 and precision > 0.9 and recall > 0.9, f"{what}: precision {precision:.2f}, recall {recall:.2f}"


def test_example_and_grow_show_the_mask_over_the_photo_and_fill_uses_it(app_url, browser, tmp_path):
    from inpainting import editing

    photo = np.asarray(Image.open(ROOT / "examples" / "scene_coffee.png").convert("RGB"))
    hole = np.asarray(Image.open(ROOT / "examples" / "scene_coffee_mask.png"))[..., 3] > 0
    h, w = hole.shape
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page.goto(app_url)
    example = page.locator("#examples").get_by_text("scene: coffee")
    sync_api.expect(example).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1000)

    def settle():
        page.wait_for_timeout(2500)  # the editor draws the server's files

    def click_and_wait_for_redraw(button: str, before: np.ndarray):
        """Click a mask button, wait until the canvas differs from ``before``, then let it settle."""
        page.get_by_role("button", name=button).click()
        for _ in range(40):
            page.wait_for_timeout(500)
            if (np.abs(_shown(page, h, w)[0] - before).sum(-1) > 60).sum() > 200:
                break
        settle()
        return _shown(page, h, w)

    example.click()
    settle()
    with_mask, place = _shown(page, h, w)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#editor").screenshot(path=str(ARTIFACTS / "editor_after_example.png"))
    grown_shot, place_grown = click_and_wait_for_redraw("Grow mask", with_mask)  # by the slider's 8 px
    page.locator("#editor").screenshot(path=str(ARTIFACTS / "editor_after_grow.png"))
    grown = editing.resize_mask(hole, 8)

    # Fill reads the mask from the editor: only the grown hole changes.
    for checkbox in page.locator("#models label").all():
        checkbox.locator("input").set_checked(checkbox.inner_text().split(":")[0].strip() == "opencv-telea")
    page.click("#run")
    links = page.locator("#downloads a[download]")
    sync_api.expect(links).to_have_count(1, timeout=60_000)
    with page.expect_download() as info:
        links.first.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    result = np.asarray(Image.open(path).convert("RGB"))
    changed = (result != photo).any(-1)
    assert changed[grown].mean() > 0.5 and not changed[~grown].any()

    # Where each mask was drawn: the difference from the photo with the mask cleared.
    cleared, place_cleared = click_and_wait_for_redraw("Clear mask", grown_shot)
    assert place_cleared == place == place_grown  # the photo did not move
    area = _expected_on_canvas(np.ones_like(hole), cleared.shape[:2], place)
    shown = np.abs(with_mask - cleared).sum(-1) > 60
    _assert_drawn_where_expected(page, shown, _expected_on_canvas(hole, shown.shape, place), "the example mask", area)
    shown_grown = np.abs(grown_shot - cleared).sum(-1) > 60
    _assert_drawn_where_expected(page, shown_grown, _expected_on_canvas(grown, shown.shape, place), "the grown mask", area)
    assert shown_grown.sum() > 1.5 * shown.sum()
    page.close()


def test_phone_width_large_photo_palette_beside_the_photo_and_brush_sized_to_it(app_url, browser, tmp_path):
    """At phone width (390 px) the tool palette does not cover the photo, and on a 2400×1600 photo
    the default brush paints a stroke about 1/20 of the photo's short side wide (its radius is
    1/40 of it), not Gradio's fixed 25 px."""
    import app
    from skimage import data

    photo = np.asarray(Image.fromarray(data.chelsea()).resize((2400, 1600), Image.Resampling.BICUBIC))
    photo_path = tmp_path / "large.png"
    Image.fromarray(photo).save(photo_path)
    h, w = photo.shape[:2]
    radius = app.brush_for((w, h)).default_size
    assert radius == 40

    page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page.goto(app_url)
    upload = page.locator('#editor button[aria-label="Upload"]')
    sync_api.expect(upload).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1000)
    with page.expect_file_chooser() as chooser:
        upload.click()
    chooser.value.set_files(str(photo_path))
    sync_api.expect(page.locator('#editor button[aria-label="Show Layers"]')).to_be_visible(timeout=20_000)
    brush_size = page.locator('#editor button[aria-label="Brush Size"]')
    if not brush_size.is_visible():
        page.locator('#editor button[aria-label="Brush"]').click()
    sync_api.expect(brush_size).to_be_visible()
    # The brush sized to the photo arrives a moment after the photo (the upload event): the editor's
    # size slider shows it.
    for _ in range(60):
        page.wait_for_timeout(500)
        brush_size.click()
        sizes = [el.input_value() for el in page.locator("#editor input[type=range]").all()]
        brush_size.click()
        if sizes == [str(radius)]:
            break
    assert sizes == [str(radius)], f"the editor's brush size is {sizes}, not {radius}"

    zoom = page.locator("#editor .zoom-number span")
    sync_api.expect(zoom).to_have_text(re.compile(r"\d+%"))
    scale = int(zoom.inner_text().rstrip("%")) / 100
    box = page.locator("#editor canvas").first.bounding_box()
    left, top = box["x"] + (box["width"] - w * scale) / 2, box["y"] + (box["height"] - h * scale) / 2
    palette = page.locator("#editor .toolbar-wrap").first.bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#editor").screenshot(path=str(ARTIFACTS / "editor_phone_width.png"))
    assert palette["x"] + palette["width"] <= left + 1, (palette, left)  # the palette is left of the photo

    # One horizontal stroke through the middle; Fill with Telea; the filled band is the stroke.
    y = 0.5 * h
    page.mouse.move(left + 0.3 * w * scale, top + y * scale)
    page.mouse.down()
    for x in np.linspace(0.3, 0.7, 15)[1:]:
        page.mouse.move(left + x * w * scale, top + y * scale)
    page.mouse.up()
    page.wait_for_timeout(2500)  # the stroke's uploads
    for checkbox in page.locator("#models label").all():
        checkbox.locator("input").set_checked(checkbox.inner_text().split(":")[0].strip() == "opencv-telea")
    page.click("#run")
    links = page.locator("#downloads a[download]")
    sync_api.expect(links).to_have_count(1, timeout=120_000)
    # the link's file (a click at phone width may land under the page's own overlays in headless mode)
    response = page.request.get(links.first.get_attribute("href"))
    assert response.ok
    path = tmp_path / "result.png"
    path.write_bytes(response.body())
    changed = (np.asarray(Image.open(path).convert("RGB")) != photo).any(-1)
    rows = changed[:, int(0.45 * w):int(0.55 * w)].mean(axis=1) > 0.5  # the stroke's middle
    width = rows.sum()
    assert 1.3 * radius < width < 3 * radius, f"stroke {width} px wide for a brush radius of {radius} px"
    page.close()
