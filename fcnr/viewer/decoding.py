"""Images of a run on demand: decoded pair by pair from the shards, kept in a bounded LRU cache.

Decoding one view decodes its pair's record only (``fcnr.codec.coding.decode_pair``), and both
images of the pair are cached, as PNG bytes made by the same encoder ``fcnr decompress`` writes
with, so a served image is byte for byte the file ``fcnr decompress --view`` writes. Cache keys
carry the shard's size and modification time: a re-compressed shard is decoded afresh.

One decode runs at a time (the CPU, or the GPU, is the bottleneck either way); a prefetch thread
decodes the neighbours of the last requested image (nearest views, then the same view at t-1 and
t+1) while no request is waiting, and each new request replaces the pending prefetches.
"""

from __future__ import annotations

import collections
import contextlib
import io
import threading
import time
from dataclasses import dataclass

from cachetools import LRUCache

from fcnr.images import read_image
from fcnr.viewer.run import Run
from render.basics.errors import FCNRError
from render.rendering import png_bytes

# Neighbouring views prefetched at the requested timestep.
PREFETCH_VIEWS = 6


class NoGroundTruth(LookupError):
    """The run did not keep the rendered image asked for."""


@dataclass(frozen=True)
class Served:
    """One image's PNG bytes, how long producing it took and whether it came from the cache."""

    png: bytes
    seconds: float
    cached: bool


@dataclass
class _Model:
    model: object
    model_id: str


class ImageSource:
    """Decoded, ground-truth and error-map images of one run, with an LRU cache and prefetching."""

    def __init__(self, run: Run, device="cpu", cache_mb: float = 256.0, prefetch: bool = True):
        """``device`` is a torch device (or its name) to decode on; ``cache_mb`` bounds the cache."""
        self.run = run
        self.device = device
        self._cache = LRUCache(maxsize=max(1, int(cache_mb * 2**20)), getsizeof=len)
        self._cache_lock = threading.Lock()
        self._decode_lock = threading.Lock()
        self._models: dict[str, _Model] = {}
        self._shards: dict[tuple[str, int], tuple[tuple[int, int], object]] = {}
        self._pending: collections.deque[tuple[str, int, int]] = collections.deque()
        self._waiting = 0  # requests waiting to decode; the prefetcher gives way to them
        self._prefetching = False
        self._wake = threading.Condition()
        self._closed = False
        self._prefetcher = threading.Thread(target=self._prefetch_loop, name="prefetch", daemon=True)
        if prefetch:
            self._prefetcher.start()

    # -- what the API serves ------------------------------------------------------------------

    def decoded(self, mode: str, t: int, view: int) -> Served:
        """Returns the decoded PNG of (mode, t, view); FCNRError names the shard or model at fault."""
        start = time.perf_counter()
        key = self._key(mode, t, view)
        png = self._cached(key)
        if png is not None:
            return Served(png, time.perf_counter() - start, True)
        with self._wake:
            self._waiting += 1
        try:
            png = self._decode(mode, t, view, key)
        finally:
            with self._wake:
                self._waiting -= 1
                self._wake.notify_all()
        return Served(png, time.perf_counter() - start, False)

    def truth(self, mode: str, t: int, view: int) -> Served:
        """Returns the rendered ground-truth PNG as stored; NoGroundTruth when the run does not have it."""
        start = time.perf_counter()
        path = self.run.truth_path(mode, t, view)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NoGroundTruth(f"{path}: no ground truth here ({exc.strerror or exc})") from exc
        return Served(data, time.perf_counter() - start, False)

    def error_map(self, mode: str, t: int, view: int) -> Served:
        """Returns the report's error map (|truth - decoded|, inferno) of (mode, t, view) as PNG."""
        from fcnr.report.sections.images import error_map

        start = time.perf_counter()
        key = ("error", *self._key(mode, t, view))
        png = self._cached(key)
        cached = png is not None
        if png is None:
            truth = read_image(io.BytesIO(self.truth(mode, t, view).png))
            decoded = read_image(io.BytesIO(self.decoded(mode, t, view).png))
            png = png_bytes(error_map(truth, decoded)[0])
            self._store(key, png)
        return Served(png, time.perf_counter() - start, cached)

    def load_models(self) -> list[str]:
        """Loads every mode's model now, so that a first request times decoding alone; returns the errors."""
        errors = []
        with self._decode_lock:
            for mode in self.run.modes:
                try:
                    self._model(mode)
                except FCNRError as exc:
                    errors.append(str(exc))
        return errors

    def prefetch_around(self, mode: str, t: int, view: int) -> None:
        """Replaces the pending prefetches with the neighbours of (mode, t, view)."""
        steps = self.run.timesteps
        k = steps.index(t)
        wanted = [(mode, t, v) for v in self.run.neighbours(view, PREFETCH_VIEWS)]
        wanted += [(mode, steps[j], view) for j in (k + 1, k - 1) if 0 <= j < len(steps)]
        with self._wake:
            self._pending.clear()
            self._pending.extend(wanted)
            self._wake.notify_all()

    def wait_prefetched(self, timeout: float) -> bool:
        """Returns True once no prefetch is pending or running, False if that takes over ``timeout`` seconds."""
        with self._wake:
            return self._wake.wait_for(lambda: not (self._pending or self._prefetching), timeout)

    def close(self) -> None:
        """Stops the prefetch thread."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    @property
    def cache_bytes(self) -> int:
        """Returns the bytes the cache holds now."""
        with self._cache_lock:
            return int(self._cache.currsize)

    # -- decoding -----------------------------------------------------------------------------

    def _key(self, mode: str, t: int, view: int) -> tuple:
        path = self.run.shard_path(mode, t)
        try:
            stat = path.stat()
        except OSError as exc:
            raise FCNRError(f"shard {path}: cannot read ({exc.strerror or exc}); re-run `fcnr compress`") from exc
        return mode, t, view, stat.st_size, stat.st_mtime_ns

    def _cached(self, key: tuple) -> bytes | None:
        with self._cache_lock:
            return self._cache.get(key)

    def _store(self, key: tuple, png: bytes) -> None:
        with self._cache_lock:
            if len(png) <= self._cache.maxsize:
                self._cache[key] = png

    def _decode(self, mode: str, t: int, view: int, key: tuple) -> bytes:
        from fcnr.codec.coding import decode_pair

        with self._decode_lock:
            png = self._cached(key)  # a prefetch may have decoded it while this request waited
            if png is not None:
                return png
            shard = self._shard(mode, t, key[3:])
            model = self._model(mode)
            images = decode_pair(shard, shard.find(view), model.model, model.model_id)
            encoded = {v: png_bytes(image) for v, image in images.items()}
            for v, data in encoded.items():
                self._store((mode, t, v, *key[3:]), data)
            return encoded[view]

    def _shard(self, mode: str, t: int, stamp: tuple[int, int]):
        from fcnr.codec.shard import read_shard

        held = self._shards.get((mode, t))
        if held is None or held[0] != stamp:
            held = (stamp, read_shard(self.run.shard_path(mode, t)))
            self._shards[(mode, t)] = held
        return held[1]

    def _model(self, mode: str) -> _Model:
        from fcnr.codec.model_files import model_id
        from fcnr.codec.model_io import load_model

        if mode not in self._models:
            model_dir = self.run.model_dir(mode)
            self._models[mode] = _Model(load_model(model_dir, device=self.device), model_id(model_dir))
        return self._models[mode]

    def _prefetch_loop(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (self._waiting or not self._pending):
                    self._wake.wait()
                if self._closed:
                    return
                mode, t, view = self._pending.popleft()
                self._prefetching = True
            with contextlib.suppress(Exception):  # a prefetch has no one to tell; a request for the image does
                key = self._key(mode, t, view)
                if self._cached(key) is None:
                    self._decode(mode, t, view, key)
            with self._wake:
                self._prefetching = False
                self._wake.notify_all()
