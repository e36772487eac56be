"""INR bitstreams: quantization, the exact round trip, BPP from the file, refusal of bad files, decoding
one image from the file alone in another process."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from inr_images import N_VIEWS, SIZE, TIMESTEPS, write_image_set

from fcnr.images import read_image
from fcnr.inr.bitstream import EMBED_BITS, WEIGHT_BITS, frequencies, read_bitstream, write_bitstream
from fcnr.inr.data import image_set
from fcnr.inr.decode import Decoder, decode_images
from fcnr.inr.header import read_header
from fcnr.inr.models import build_model, sized_config
from fcnr.inr.quantize import WHOLE, quantize
from render.basics.errors import FCNRError

IMAGES = len(TIMESTEPS) * N_VIEWS


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inr-bitstream")
    root, views, _ = write_image_set(folder)
    return folder, image_set(root, TIMESTEPS, views), views


def trained_like(method: str) -> torch.nn.Module:
    """Returns a seeded model whose weights are spread like trained ones (not all near zero)."""
    torch.manual_seed(1)
    model = build_model(sized_config(method, 20_000, SIZE, SIZE, IMAGES))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


def test_quantization_picks_per_channel_when_channels_differ():
    torch.manual_seed(0)
    x = torch.randn(64, 16, 3, 3) * torch.logspace(-2, 0, 64)[:, None, None, None]
    q = quantize(x, 8)
    assert q.axis == 0 and q.minimum.dtype == torch.float16 and q.minimum.shape == (64,)
    assert int(q.symbols.min()) >= 0 and int(q.symbols.max()) <= 255
    step = q.scale.float()[:, None, None, None]
    assert torch.all((q.dequantize() - x).abs() <= step / 2 + 1e-3 * x.abs().amax(dim=(1, 2, 3), keepdim=True))
    bias = quantize(torch.randn(16), 8)
    assert bias.axis == WHOLE  # 16 pairs for 16 values would be no compression
    constant = quantize(torch.full((5, 4), 0.25), 6)
    assert torch.equal(constant.dequantize(), torch.full((5, 4), 0.25))


def test_frequency_tables_sum_to_the_coder_precision():
    symbols = np.array([0] * 1000 + [1] * 10 + [7] * 1 + [255] * 3)
    freq = frequencies(symbols, 256)
    assert freq.sum() == 4095 and freq[[0, 1, 7, 255]].min() >= 1 and freq[2] == 0 and freq[0] > freq[1]
    with pytest.raises(ValueError, match="outside"):
        frequencies(np.array([300]), 256)


@pytest.mark.parametrize("method", ["enerv", "hnerv", "nervi"])
def test_round_trip_gives_the_quantized_tensors_exactly(data, tmp_path, method):
    _, images, _ = data
    model = trained_like(method)
    embeddings = model.codes(*images.batch(list(range(IMAGES)))).detach() if model.embeds else None
    info = write_bitstream(tmp_path / "x.inr", model, TIMESTEPS, images.angles(), embeddings)
    b = read_bitstream(tmp_path / "x.inr")
    assert b.state.keys() == model.stored_state().keys()
    for name, tensor in model.stored_state().items():
        assert torch.equal(b.state[name], quantize(tensor, WEIGHT_BITS).dequantize()), name
    if method == "hnerv":
        assert torch.equal(b.embeddings, quantize(embeddings, EMBED_BITS).dequantize())
        assert b.embeddings.shape == (IMAGES, 4, 2, 2)
    else:
        assert b.embeddings is None
    size = (tmp_path / "x.inr").stat().st_size
    assert info["bytes"] == b.size == size
    assert b.bpp() == pytest.approx(8 * size / (IMAGES * SIZE * SIZE))
    assert b.images == [(t, v) for t in TIMESTEPS for v in range(N_VIEWS)]
    header = read_header(tmp_path / "x.inr")  # what scoring reads: the same fields, nothing decoded
    assert (header.size, header.config, header.images, header.views_crc) == (b.size, b.config, b.images, b.views_crc)
    # Entropy coding pays: fewer bytes than 8 bits per stored value would take.
    values = sum(t.numel() for t in model.stored_state().values()) + (0 if embeddings is None else embeddings.numel())
    assert info["stream_bytes"] < values


def test_decoded_images_come_from_the_dequantized_network(data, tmp_path):
    _, images, _ = data
    model = trained_like("enerv")
    write_bitstream(tmp_path / "x.inr", model, TIMESTEPS, images.angles())
    decoder = Decoder(read_bitstream(tmp_path / "x.inr"))
    reference = build_model(model.config)
    reference.load_state_dict({k: quantize(v, WEIGHT_BITS).dequantize() for k, v in model.stored_state().items()})
    with torch.no_grad():
        expected = reference.eval()(None, images.params(5)[None])
    t, v = images.key(5)
    theta, phi = images.angles()[v]
    decoded = decoder.decode(t, v, theta, phi)
    assert np.array_equal(decoded, (expected[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())
    with pytest.raises(FCNRError, match="no image t=4"):
        decoder.decode(4, 0, theta, phi)
    with pytest.raises(FCNRError, match="not the 4 views"):
        decoder.check_views(images.angles() + 1e-9, "other.csv")


DECODE_ONE = """
import sys
from fcnr.cli import main
sys.exit(main(["inr", "decode", sys.argv[1], "--views", sys.argv[2], "--timestep", "5", "--view", "2",
               "--out", sys.argv[3], "--timing-json", sys.argv[4]]))
"""


def test_one_image_decodes_from_the_file_alone_in_another_process(data, tmp_path):
    _, images, views = data
    model = trained_like("hnerv")
    embeddings = model.codes(*images.batch(list(range(IMAGES)))).detach()
    write_bitstream(tmp_path / "x.inr", model, TIMESTEPS, images.angles(), embeddings)
    del model  # the child process has only the file and the views (its query angles)
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    argv = [str(tmp_path / "x.inr"), str(views), str(tmp_path / "out"), str(tmp_path / "timing.json")]
    proc = subprocess.run([sys.executable, "-c", DECODE_ONE, *argv], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.png")) == ["v0002.png"]
    here = decode_images(tmp_path / "x.inr", images.angles(), views, tmp_path / "here", [(5, 2)])
    assert np.array_equal(read_image(tmp_path / "out" / "t0005" / "v0002.png"),
                          read_image(tmp_path / "here" / "t0005" / "v0002.png"))  # fmt: skip
    assert here["images"] == 1 and here["load_seconds"] > 0 and here["decode_seconds"] > 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "empty"])
def test_damaged_files_are_refused_naming_them(data, tmp_path, damage, capsys):
    _, images, views = data
    path = tmp_path / "x.inr"
    write_bitstream(path, trained_like("nervi"), TIMESTEPS, images.angles())
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip":
        raw[len(raw) // 2] ^= 0x10
    elif damage == "magic":
        raw[:8] = b"FCNRSHRD"
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    message = "CRC mismatch" if damage in ("truncate", "flip") else "not an FCNR INR bitstream"
    for read in (read_bitstream, read_header):
        with pytest.raises(FCNRError, match=message) as err:
            read(path)
        assert str(path) in str(err.value)
    from fcnr.cli import main

    assert main(["inr", "decode", str(path), "--views", str(views), "--out", str(tmp_path / "d")]) == 2
    assert str(path) in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
