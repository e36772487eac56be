"""Still-image codecs (imagecodecs): every image is its own file.

Chroma as each library does by default for RGB input: JPEG (libjpeg-turbo) and WebP code 4:2:0,
AVIF (libavif) 4:4:4, JPEG XL its XYB colour space at full resolution. Speed settings favour a
short run on a CPU: AVIF at speed 8 of 0-10, JPEG XL at effort 5 of 1-9.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import imagecodecs
import numpy as np

from fcnr.baselines.base import Codec, Encoded, check_images, register_codec
from render.basics.errors import FCNRError


class ImageCodec(Codec):
    """A codec that compresses each image independently; one stream per image."""

    #: the imagecodecs class whose ``available`` flag says whether the codec is built in
    library: str

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Returns why the codec cannot run here, or None when it can."""
        if getattr(imagecodecs, cls.library).available:
            return None
        return f"imagecodecs {imagecodecs.__version__} was built without {cls.library}"

    def encode(self, images: Sequence[np.ndarray]) -> Encoded:
        """Returns one stream per image; each image accounts for its own stream's bytes."""
        check_images(images, self.name)
        streams = [bytes(self._encode(np.ascontiguousarray(image))) for image in images]
        return Encoded(streams, [float(len(s)) for s in streams])

    def decode(self, streams: Sequence[bytes]) -> list[np.ndarray]:
        """Returns the decoded image of every stream."""
        images = []
        for k, stream in enumerate(streams):
            try:
                image = np.asarray(self._decode(stream))
            except Exception as exc:  # the libraries raise their own error types
                raise FCNRError(f"{self.name}: cannot decode stream {k}: {exc}") from exc
            if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
                raise FCNRError(f"{self.name}: stream {k} decoded to {image.dtype} {image.shape}, not RGB uint8")
            images.append(image)
        return images

    @abstractmethod
    def _encode(self, image: np.ndarray) -> bytes:
        """Returns the file of one contiguous RGB image."""

    @abstractmethod
    def _decode(self, stream: bytes) -> np.ndarray:
        """Returns the image in one file."""


@register_codec
class JPEG(ImageCodec):
    """Baseline JPEG (libjpeg-turbo) with optimised Huffman tables; quality 1-100."""

    name = "jpeg"
    label = "JPEG"
    library = "JPEG8"
    quality_range = (1, 100)
    default_settings = (10, 25, 50, 75, 90)

    def _encode(self, image):
        return imagecodecs.jpeg8_encode(image, level=self.quality, optimize=True)

    def _decode(self, stream):
        return imagecodecs.jpeg8_decode(stream)


@register_codec
class WebP(ImageCodec):
    """Lossy WebP (libwebp); quality 0-100."""

    name = "webp"
    label = "WebP"
    library = "WEBP"
    quality_range = (0, 100)
    default_settings = (10, 25, 50, 75, 90)

    def _encode(self, image):
        return imagecodecs.webp_encode(image, level=self.quality, lossless=False)

    def _decode(self, stream):
        return imagecodecs.webp_decode(stream)


@register_codec
class AVIF(ImageCodec):
    """AVIF (libavif, AV1 intra), 4:4:4, speed 8; quality 0-100 (100 is lossless)."""

    name = "avif"
    label = "AVIF"
    library = "AVIF"
    quality_range = (0, 100)
    settings_range = (0, 99)  # the workflow's lossy settings: 100 is lossless
    default_settings = (20, 35, 50, 65, 80)

    def _encode(self, image):
        return imagecodecs.avif_encode(
            image, level=self.quality, speed=8, pixelformat=imagecodecs.AVIF.PIXEL_FORMAT.YUV444
        )

    def _decode(self, stream):
        return imagecodecs.avif_decode(stream)


@register_codec
class JPEGXL(ImageCodec):
    """JPEG XL (libjxl), effort 5; quality 0-100."""

    name = "jpegxl"
    label = "JPEG XL"
    library = "JPEGXL"
    quality_range = (0, 100)
    default_settings = (5, 20, 40, 60, 80)

    def _encode(self, image):
        return imagecodecs.jpegxl_encode(image, level=self.quality, effort=5)

    def _decode(self, stream):
        return imagecodecs.jpegxl_decode(stream)
