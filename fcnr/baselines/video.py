"""Video codecs (FFmpeg through PyAV): one timestep's views as one video, frames in pair order.

Frames follow the view index (views.csv is sorted by theta then phi, so views 2j and 2j+1, a
pair, are neighbouring frames); the encoder exploits the similarity between neighbouring views
the way FCNR exploits the pair. The video goes into an in-memory Matroska file, whose full
length (headers and index included) is the rate. HEVC (x265, preset medium) codes 4:4:4;
AV1 (SVT-AV1, preset 8) codes 4:2:0, the only chroma format SVT-AV1 accepts. RGB to YUV uses
FFmpeg's default BT.601 limited-range matrix both ways.

Frames are padded (edge pixels repeated) to a multiple of ``pad_to`` and cropped back after
decoding; the true size travels in the file as the Matroska stream tag ``FCNR_SIZE``. x265 needs
multiples of its 64 px coding tree unit: with 40 or 48 px frames the x265 inside PyAV 18 corrupts
the heap (seen here as glibc aborts), while 32, 64 and 128 px are fine. SVT-AV1's 4:2:0 needs even
sides.

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

from fcnr.baselines.base import Codec, Encoded, check_images, register_codec
from render.basics.errors import FCNRError

# The frame rate only sets timestamps; constant-quality (CRF) coding does not depend on it.
FRAME_RATE = 25
SIZE_TAG = "FCNR_SIZE"


class VideoCodec(Codec):
    """A codec that compresses all images as the frames of one video; one stream in total."""

    setting = "crf"
    #: FFmpeg's name of the encoder
    encoder: str
    #: the YUV layout the encoder codes
    pix_fmt: str
    #: frame sides are padded up to a multiple of this
    pad_to: int = 1

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Returns why the codec cannot run here, or None when it can."""
        if cls.encoder in av.codecs_available:
            return None
        return f"the FFmpeg inside PyAV {av.__version__} has no {cls.encoder} encoder"

    @abstractmethod
    def options(self) -> dict[str, str]:
        """Returns the encoder's FFmpeg options for this CRF."""

    def encode(self, images: Sequence[np.ndarray]) -> Encoded:
        """Returns the Matroska file; each frame accounts for its packet plus an even share of the rest."""
        height, width = check_images(images, self.name)
        padding = ((0, -height % self.pad_to), (0, -width % self.pad_to), (0, 0))
        packet_bytes = np.zeros(len(images))
        buffer = io.BytesIO()
        with av.open(buffer, "w", format="matroska") as container:
            stream = container.add_stream(self.encoder, rate=FRAME_RATE, options=self.options())
            stream.width, stream.height = width + padding[1][1], height + padding[0][1]
            stream.pix_fmt = self.pix_fmt
            if padding[0][1] or padding[1][1]:
                stream.metadata[SIZE_TAG] = f"{width}x{height}"
            for index, image in enumerate([*images, None]):
                frame = None
                if image is not None:
                    frame = av.VideoFrame.from_ndarray(np.pad(image, padding, mode="edge"), format="rgb24")
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
                video = container.streams.video[0]
                width, height = map(int, video.metadata.get(SIZE_TAG, f"{video.width}x{video.height}").split("x"))
                return [np.ascontiguousarray(frame.to_ndarray(format="rgb24")[:height, :width])
                        for frame in container.decode(video)]  # fmt: skip
        except (av.FFmpegError, IndexError, ValueError) as exc:
            raise FCNRError(f"{self.name}: cannot decode the video: {exc}") from exc


@register_codec
class HEVC(VideoCodec):
    """HEVC by x265 (preset medium, 4:4:4); CRF 0-51, lower is better."""

    name = "hevc"
    label = "HEVC (x265)"
    encoder = "libx265"
    pix_fmt = "yuv444p"
    pad_to = 64
    quality_range = (0, 51)
    default_settings = (44, 38, 32, 26, 20)

    def options(self) -> dict[str, str]:
        return {"crf": str(self.quality), "preset": "medium", "x265-params": "log-level=error:info=0"}


@register_codec
class AV1(VideoCodec):
    """AV1 by SVT-AV1 (preset 8, 4:2:0); CRF 1-63, lower is better."""

    name = "av1"
    label = "AV1 (SVT-AV1)"
    encoder = "libsvtav1"
    pix_fmt = "yuv420p"
    pad_to = 2
    quality_range = (1, 63)
    default_settings = (60, 52, 44, 36, 28)

    def options(self) -> dict[str, str]:
        os.environ.setdefault("SVT_LOG", "1")
        return {"crf": str(self.quality), "preset": "8"}
