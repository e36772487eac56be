"""Video codecs (FFmpeg through PyAV): one timestep's views as one video, frames in pair order.

Frames follow the view index (views.csv is sorted by theta then phi, so views 2j and 2j+1, a
pair, are neighbouring frames); the encoder exploits the similarity between neighbouring views
the way FCNR exploits the pair. The video goes into an in-memory Matroska file, whose full
length (headers and index included) is the rate. HEVC (x265, preset medium) codes 4:4:4;
AV1 (SVT-AV1, preset 8) codes 4:2:0, the only chroma format SVT-AV1 accepts. RGB to YUV uses
FFmpeg's default BT.601 limited-range matrix both ways.

Both encoder libraries print a banner at their info log level; x265 is set to ``log-level=error``
(and ``info=0``, which also drops the ~2 KB SEI message that repeats the encoder's settings in
every file), SVT-AV1 reads ``SVT_LOG`` (1 = errors only) unless the user has set it.
"""

from __future__ import annotations

import io
import os
from abc import abstractmethod
from collections.abc import Sequence

import av
import numpy as np

from fcnr.baselines.base import Codec, Encoded, check_images
from fcnr.errors import FCNRError

# The frame rate only sets timestamps; constant-quality (CRF) coding does not depend on it.
FRAME_RATE = 25


class VideoCodec(Codec):
    """A codec that compresses all images as the frames of one video; one stream in total."""

    setting = "crf"
    #: FFmpeg's name of the encoder
    encoder: str
    #: the YUV layout the encoder codes
    pix_fmt: str

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Returns why the codec cannot run here, or None when it can."""
        if cls.encoder in av.codecs_available:
            return None
        return f"the FFmpeg inside PyAV {av.__version__} has no {cls.encoder} encoder"

    @abstractmethod
    def options(self) -> dict[str, str]:
        """Returns the encoder's FFmpeg options for this CRF."""

    def check_size(self, height: int, width: int) -> None:
        """Raises an FCNRError when the encoder cannot code frames of this size."""

    def encode(self, images: Sequence[np.ndarray]) -> Encoded:
        """Returns the Matroska file; each frame accounts for its packet plus an even share of the rest."""
        height, width = check_images(images, self.name)
        self.check_size(height, width)
        packet_bytes = np.zeros(len(images))
        buffer = io.BytesIO()
        with av.open(buffer, "w", format="matroska") as container:
            stream = container.add_stream(self.encoder, rate=FRAME_RATE, options=self.options())
            stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
            for index, image in enumerate([*images, None]):
                frame = None
                if image is not None:
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                    frame.pts = index
                packets = stream.encode(frame)
                for packet in packets:
                    # Packet timestamps are frame indices (time base 1 / FRAME_RATE) until muxed.
                    packet_bytes[int(packet.pts)] += packet.size
                container.mux(packets)
        data = buffer.getvalue()
        overhead = (len(data) - packet_bytes.sum()) / len(images)
        return Encoded([data], (packet_bytes + overhead).tolist())

    def decode(self, streams: Sequence[bytes]) -> list[np.ndarray]:
        """Returns the frames of the single video in ``streams``, in display order."""
        if len(streams) != 1:
            raise FCNRError(f"{self.name}: expected one video stream, got {len(streams)}")
        try:
            with av.open(io.BytesIO(streams[0]), "r") as container:
                return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        except av.FFmpegError as exc:
            raise FCNRError(f"{self.name}: cannot decode the video: {exc}") from exc


class HEVC(VideoCodec):
    """HEVC by x265 (preset medium, 4:4:4); CRF 0-51, lower is better."""

    name = "hevc"
    encoder = "libx265"
    pix_fmt = "yuv444p"
    quality_range = (0, 51)

    def options(self) -> dict[str, str]:
        return {"crf": str(self.quality), "preset": "medium", "x265-params": "log-level=error:info=0"}


class AV1(VideoCodec):
    """AV1 by SVT-AV1 (preset 8, 4:2:0); CRF 1-63, lower is better."""

    name = "av1"
    encoder = "libsvtav1"
    pix_fmt = "yuv420p"
    quality_range = (1, 63)

    def options(self) -> dict[str, str]:
        os.environ.setdefault("SVT_LOG", "1")
        return {"crf": str(self.quality), "preset": "8"}

    def check_size(self, height: int, width: int) -> None:
        if height % 2 or width % 2:
            raise FCNRError(f"{self.name}: 4:2:0 needs an even image size, got {width} x {height}")
