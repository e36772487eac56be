"""The viewer's API over a real server on a free port: meta, decoded pixels, cache, prefetch, errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcnr.cli import main
from fcnr.codec.shard import read_shard
from fcnr.viewer.decoding import ImageSource
from fcnr.viewer.run import open_run
from fcnr.viewer.server import ViewerServer
from render.views import read_views, view_pairs


class Server:
    """A viewer serving ``run_dir`` from a background thread on a free port of 127.0.0.1."""

    def __init__(self, run_dir: Path, cache_mb: float = 64.0, prefetch: bool = True):
        run = open_run(run_dir)
        self.source = ImageSource(run, "cpu", cache_mb, prefetch=prefetch)
        self.server = ViewerServer(run, self.source, "127.0.0.1", 0, quiet=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """Returns (status, headers, body) of GET ``path``."""
        try:
            with urllib.request.urlopen(self.server.url.rstrip("/") + path, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def image(self, mode: str, t: int, view: int, source: str = "decoded") -> tuple[bytes, str]:
        """Returns the PNG bytes of an image and its cache state (hit or miss)."""
        status, headers, body = self.get(f"/api/image?mode={mode}&t={t}&view={view}&source={source}")
        assert status == 200, body
        assert headers["Content-Type"] == "image/png"
        return body, headers["Server-Timing"].split('desc="')[1].rstrip('"')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server(tiny_run):
    srv = Server(tiny_run)
    yield srv
    srv.close()


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.array(im.convert("RGB"))


def test_meta_lists_modes_timesteps_size_and_views(server, tiny_run):
    status, headers, body = server.get("/api/meta")
    assert status == 200 and headers["Content-Type"] == "application/json"
    meta = json.loads(body)
    assert (meta["format"], meta["version"], meta["dataset"]) == ("fcnr-viewer-meta", 1, "tiny")
    assert meta["modes"] == ["ir", "dvr"] and meta["timesteps"] == [3, 4, 5]
    assert meta["image"] == {"width": 32, "height": 32}
    views = read_views(tiny_run / "views.csv")
    assert [v["index"] for v in meta["views"]] == views["index"].tolist()
    assert [v["theta"] for v in meta["views"]] == views["theta"].tolist()
    assert [v["phi"] for v in meta["views"]] == views["phi"].tolist()
    assert meta["truth"] == {"ir": True, "dvr": True} and meta["metrics"] == {"ir": True, "dvr": True}


def test_decoded_image_is_what_fcnr_decompress_view_writes(server, tiny_run, tmp_path):
    for mode, t, view in (("ir", 4, 7), ("dvr", 3, 0), ("dvr", 5, 11)):
        out = tmp_path / f"{mode}{t}"
        assert main(["decompress", str(tiny_run / mode / "shards" / f"t{t:04d}.fcnr"), "--model",
                     str(tiny_run / mode / "model"), "--out", str(out), "--view", str(view)]) == 0  # fmt: skip
        png, _ = server.image(mode, t, view)
        assert png == (out / f"v{view:04d}.png").read_bytes()
    # Every image of a shard, against the workflow's full decode.
    for view in range(12):
        assert server.image("ir", 5, view)[0] == (tiny_run / "ir" / "decoded" / "t0005" / f"v{view:04d}.png").read_bytes()


def test_a_decode_caches_both_images_of_the_pair(tiny_run):
    srv = Server(tiny_run, prefetch=False)
    try:
        left, right = view_pairs(read_views(tiny_run / "views.csv"))[2]
        assert srv.image("ir", 4, right)[1] == "miss"
        assert srv.image("ir", 4, right)[1] == "hit"
        assert srv.image("ir", 4, left)[1] == "hit"  # decoded with its partner: one record, two images
        assert srv.image("dvr", 4, left)[1] == "miss"  # other mode, other shard
    finally:
        srv.close()


def test_neighbouring_views_and_timesteps_are_prefetched(tiny_run):
    srv = Server(tiny_run)
    try:
        run = open_run(tiny_run)
        assert srv.image("ir", 4, 6)[1] == "miss"
        assert srv.source.wait_prefetched(timeout=60)
        for view in run.neighbours(6, 6):
            assert srv.image("ir", 4, view)[1] == "hit", view
        assert srv.image("ir", 3, 6)[1] == "hit" and srv.image("ir", 5, 6)[1] == "hit"
        partner = {v: pair[1 - k] for pair in view_pairs(run.views) for k, v in enumerate(pair)}
        near = {6, *run.neighbours(6, 6)}
        untouched = sorted(set(range(12)) - near - {partner[v] for v in near})
        assert untouched and srv.image("ir", 4, untouched[0])[1] == "miss"  # only the neighbourhood was decoded
    finally:
        srv.close()


def test_cache_stays_within_its_bound(tiny_run):
    one_png = len((tiny_run / "ir" / "decoded" / "t0003" / "v0000.png").read_bytes())
    srv = Server(tiny_run, cache_mb=3.5 * one_png / 2**20, prefetch=False)
    try:
        for t in (3, 4, 5):
            for view in range(12):
                srv.image("ir", t, view)
                assert srv.source.cache_bytes <= 3.5 * one_png
        assert srv.image("ir", 3, 0)[1] == "miss"  # evicted long ago
    finally:
        srv.close()


def test_ground_truth_and_error_map(server, tiny_run):
    truth, _ = server.image("dvr", 5, 3, "truth")
    assert truth == (tiny_run / "dvr" / "images" / "t0005" / "v0003.png").read_bytes()
    error, _ = server.image("dvr", 5, 3, "error")
    err = pixels(error)
    assert err.shape == (32, 32, 3) and err.std() > 0


def test_image_responses_carry_metrics_and_timing(server, tiny_run):
    from fcnr.evaluation.evaluate import read_metrics_csv

    _, headers, _ = server.get("/api/image?mode=ir&t=3&view=2")
    row = next(r for r in read_metrics_csv(tiny_run / "ir" / "metrics.csv") if (r["t"], r["view"]) == (3, 2))
    assert float(headers["X-FCNR-PSNR"]) == row["psnr"] and float(headers["X-FCNR-BPP"]) == row["bpp"]
    assert headers["Server-Timing"].startswith("decode;dur=")


@pytest.mark.parametrize(("query", "status", "parameter"), [
    ("t=3&view=0", 400, "mode"),
    ("mode=xray&t=3&view=0", 404, "mode"),
    ("mode=ir&view=0", 400, "t"),
    ("mode=ir&t=three&view=0", 400, "t"),
    ("mode=ir&t=9&view=0", 404, "t"),
    ("mode=ir&t=3&t=4&view=0", 400, "t"),
    ("mode=ir&t=3&view=1.5", 400, "view"),
    ("mode=ir&t=3&view=12", 404, "view"),
    ("mode=ir&t=3&view=0&source=raw", 400, "source"),
    ("mode=ir&t=3&view=0&zoom=2", 400, "zoom"),
])  # fmt: skip
def test_bad_requests_get_json_errors_naming_the_parameter(server, query, status, parameter):
    code, headers, body = server.get(f"/api/image?{query}")
    error = json.loads(body)
    assert code == status and headers["Content-Type"] == "application/json"
    assert error["parameter"] == parameter and error["status"] == status and parameter in error["error"]


def test_unknown_paths_and_methods_are_refused(server):
    for path in ("/api/frame", "/../../etc/passwd", "/static/../run.py", "/views.csv"):
        code, _, body = server.get(path)
        assert code == 404 and "no such page" in json.loads(body)["error"]
    request = urllib.request.Request(server.server.url + "api/meta", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 405


def test_broken_shards_get_5xx_naming_the_file_and_the_rest_is_served(tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    shards = run_dir / "ir" / "shards"
    (shards / "t0003.fcnr").unlink()
    shard = read_shard(shards / "t0004.fcnr")
    first = shard.records[0]
    data = bytearray((shards / "t0004.fcnr").read_bytes())
    data[first.offset + first.length // 2] ^= 0xFF  # damage pair 0's record only
    (shards / "t0004.fcnr").write_bytes(bytes(data))
    (shards / "t0005.fcnr").write_bytes(b"FCNRSHRD")  # truncated header
    (run_dir / "dvr" / "images" / "t0003" / "v0001.png").unlink()
    srv = Server(run_dir, prefetch=False)
    try:
        for t, view, needle in ((3, 0, "t0003.fcnr"), (4, first.left, "corrupt record"), (5, 0, "t0005.fcnr")):
            code, _, body = srv.get(f"/api/image?mode=ir&t={t}&view={view}")
            assert code == 500 and needle in json.loads(body)["error"], body
        assert str(shards / "t0004.fcnr") in json.loads(srv.get(f"/api/image?mode=ir&t=4&view={first.left}")[2])["error"]
        assert srv.image("ir", 4, shard.records[1].left)[0]  # the shard's other records still decode
        assert srv.image("dvr", 3, 0)[0] and srv.get("/api/meta")[0] == 200
        code, _, body = srv.get("/api/image?mode=dvr&t=3&view=1&source=truth")
        assert code == 404 and json.loads(body)["parameter"] == "source" and "v0001.png" in json.loads(body)["error"]
    finally:
        srv.close()


def test_view_command_binds_to_localhost_and_serves(tiny_run):
    proc = subprocess.Popen([sys.executable, "-m", "fcnr.cli", "view", str(tiny_run), "--port", "0", "--quiet",
                             "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/meta", timeout=60) as response:
            assert json.loads(response.read())["dataset"] == "tiny"
        with urllib.request.urlopen(url, timeout=60) as response:
            page = response.read().decode()
        assert '<script src="/static/viewer.js">' in page and "http" not in page.split("<body>")[1]  # nothing external
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_view_command_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["view", str(tmp_path), "--port", "0"]) == 2
    assert "not a run folder (no views.csv)" in capsys.readouterr().err
