"""The viewer's page in headless Chromium (Debian's chromium and chromium-driver, via selenium).

Loads the page, moves the time slider, drags to another view, switches to DVR and to the
ground-truth comparison, and checks each time that the pixels on screen are the decoded image
``fcnr decompress`` writes (the ground truth's, for the comparison).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcnr.viewer.decoding import ImageSource
from fcnr.viewer.run import open_run
from fcnr.viewer.server import ViewerServer

pytestmark = pytest.mark.slow

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Draws an <img> into a canvas and returns it as a PNG data URI: the pixels the page shows.
SHOWN_PIXELS = """
const img = document.getElementById(arguments[0]);
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
canvas.getContext("2d").drawImage(img, 0, 0);
return canvas.toDataURL("image/png");
"""


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    if CHROMIUM is None or not Path(CHROMEDRIVER).is_file():
        pytest.skip("Debian's chromium and chromium-driver are not installed (bash .ci/install --test installs them)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, tiny_run):
    run = open_run(tiny_run)
    server = ViewerServer(run, ImageSource(run, "cpu"), "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser.get(server.url)
    yield browser
    server.shutdown()
    server.server_close()


def wait_shown(driver, previous: str | None = None) -> tuple[str, int, int]:
    """Waits until the page shows an image other than ``previous``; returns its (mode, t, view)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d):
        data = d.execute_script("return {...document.body.dataset}")
        assert "error" not in data, data["error"]
        return data.get("shown") if data.get("shown") not in (None, previous) else False

    mode, t, view = WebDriverWait(driver, 60, poll_frequency=0.1).until(shown).split("/")
    return mode, int(t), int(view)


def shown_pixels(driver, element: str = "decoded") -> np.ndarray:
    uri = driver.execute_script(SHOWN_PIXELS, element)
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        return np.array(im.convert("RGB"))


def decompressed(run_dir: Path, mode: str, t: int, view: int, kind: str = "decoded") -> np.ndarray:
    with Image.open(run_dir / mode / kind / f"t{t:04d}" / f"v{view:04d}.png") as im:
        return np.array(im.convert("RGB"))


def test_page_shows_decoded_images_while_scrubbing_dragging_and_switching(page, tiny_run):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    run = open_run(tiny_run)
    mode, t, view = wait_shown(page)
    assert (mode, t) == ("ir", 3)
    assert np.array_equal(shown_pixels(page), decompressed(tiny_run, mode, t, view))

    # The time slider: two steps to the right.
    slider = page.find_element(By.ID, "time")
    slider.send_keys(Keys.ARROW_RIGHT)
    mode, t, _ = wait_shown(page, f"{mode}/{t}/{view}")
    slider.send_keys(Keys.ARROW_RIGHT)
    mode, t, _ = wait_shown(page, f"{mode}/4/{view}")
    assert t == 5 and "t = 5" in page.find_element(By.ID, "t-label").text
    assert np.array_equal(shown_pixels(page), decompressed(tiny_run, mode, t, view))

    # Drag to orbit: the view shown is the geodesic view nearest the dragged direction.
    image = page.find_element(By.ID, "decoded")
    ActionChains(page).click_and_hold(image).move_by_offset(100, 0).move_by_offset(100, 60).release().perform()
    mode, t, dragged = wait_shown(page, f"{mode}/{t}/{view}")
    assert dragged != view and t == 5
    direction = np.array([float(c) for c in page.execute_script("return document.body.dataset.dir").split(",")])
    assert dragged == int(run.views["index"][np.argmax(run.directions @ direction)])
    assert np.array_equal(shown_pixels(page), decompressed(tiny_run, mode, t, dragged))
    assert "ms" in page.find_element(By.ID, "i-decode").text or "cache" in page.find_element(By.ID, "i-decode").text

    # DVR, then the ground truth beside the decoded image.
    page.find_element(By.CSS_SELECTOR, "input[name=mode][value=dvr]").click()
    mode, t, view = wait_shown(page, f"ir/{t}/{dragged}")
    assert (mode, view) == ("dvr", dragged)
    assert np.array_equal(shown_pixels(page), decompressed(tiny_run, mode, t, view))
    page.find_element(By.ID, "compare").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(page, 60).until(lambda d: d.execute_script("return document.body.dataset.compared") == "1")
    assert np.array_equal(shown_pixels(page, "truth"), decompressed(tiny_run, mode, t, view, "images"))
    assert shown_pixels(page, "error").shape == (32, 32, 3)
    assert "dB" in page.find_element(By.ID, "i-psnr").text
