"""Device names: auto picks CUDA only where it exists; bad names and absent CUDA are clear errors."""

from __future__ import annotations

import pytest
import torch

from fcnr.devices import resolve_device
from render.basics.errors import FCNRError


def test_auto_is_cuda_exactly_when_cuda_is_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_names_the_device():
    with pytest.raises(FCNRError, match="'cuda:1'.*not available"):
        resolve_device("cuda:1")


@pytest.mark.parametrize("name", ["gpu", "mps", "cuda:x"])
def test_unknown_device_is_refused(name):
    with pytest.raises(FCNRError, match=repr(name)):
        resolve_device(name)
