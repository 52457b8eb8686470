"""A package's image (US6): JPEG, PNG or WebP up to PACKAGE_IMAGE_MAX_BYTES, recognised by its
content (never its name), re-encoded with Pillow (which drops every metadata block and refuses
decompression bombs), plus a 256x256 thumbnail, stored through Django's storage API."""

import io
import warnings
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ValidationFailed

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL = (256, 256)
MAX_PIXELS = 40_000_000


def _refuse(message: str):
    return ValidationFailed(message, code="image_invalid", field="image")


def _max_bytes() -> int:
    return settings.PACKAGE_IMAGE_MAX_BYTES


def _too_large():
    return _refuse(f"The image is larger than {_max_bytes() / (1024 * 1024):g} MB.")


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise _refuse("The image must be a JPEG, PNG or WebP file.")
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse("The image has too many pixels.")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse("The image has too many pixels.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _refuse("This file is not a readable JPEG, PNG or WebP image.") from None
    return image


def image_check(uploaded) -> Image.Image:
    """The upload as a decoded image; 422 naming `image` when it is not an acceptable one."""
    size = getattr(uploaded, "size", None)
    if size is not None and size > _max_bytes():
        raise _too_large()
    data = uploaded.read(_max_bytes() + 1)
    if len(data) > _max_bytes():
        raise _too_large()
    return _open(data)


def _encode(image: Image.Image, fmt: str) -> bytes:
    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 88} if fmt != "PNG" else {}))
    return out.getvalue()


def image_store(package, uploaded) -> None:
    """Replace the package's image and thumbnail with the re-encoded upload (not saved: the
    caller saves the package)."""
    image = image_check(uploaded)
    fmt = image.format
    ext = FORMATS[fmt]
    name = uuid4().hex
    image_remove(package)
    package.image.save(f"{name}.{ext}", ContentFile(_encode(image, fmt)), save=False)
    thumb = ImageOps.fit(ImageOps.exif_transpose(image), THUMBNAIL)
    thumb.format = fmt
    package.thumbnail.save(f"{name}.{ext}", ContentFile(_encode(thumb, fmt)), save=False)


def image_remove(package) -> None:
    """Delete the package's image and thumbnail files (not saved: the caller saves)."""
    for field in (package.image, package.thumbnail):
        if field:
            field.delete(save=False)
