"""Images people upload (pasted or dropped into a post, or chosen as an avatar): checked, cleaned
and stored under the data dir.

What arrives is never stored as it came. Pillow must recognise it as a PNG, JPEG, GIF or WebP image
(the bytes, not the name or the declared type); it is turned the way its EXIF says, shrunk to a
sensible size and encoded afresh as PNG (when it has transparency) or JPEG, which drops every
piece of metadata (EXIF with its GPS position, comments, ICC and XMP blocks) and anything hidden
after the picture. Files are named by the SHA-256 of what is stored, so the name is unguessable,
the same picture is stored once, and a file never changes (it may be cached for ever).

Pillow is synchronous and CPU-bound: callers run these functions off the event loop.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from community.errors import Invalid

ACCEPTED = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_SIDE = 1600  # a post's images are shown at most about this wide
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
AVATAR_SIZES = (128, 48)
KEY_RE = re.compile(r"^[0-9a-f]{40}(?:-(?:128|48))?\.(?:png|jpg)$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
URL_PREFIX = "/images/"


@dataclass(frozen=True, slots=True)
class StoredImage:
    key: str  # the file's name under the images directory
    width: int
    height: int

    @property
    def url(self) -> str:
        return URL_PREFIX + self.key


def images_dir(data_dir: Path) -> Path:
    return data_dir / "images"


def _open(data: bytes, max_bytes: int) -> Image.Image:
    if not data:
        raise Invalid({"image": "Choose an image to upload."})
    if len(data) > max_bytes:
        raise Invalid({"image": f"The image is too large: at most {max_bytes // 1024:,} KB."})
    problem = {"image": "This is not an image we can take: upload a PNG, JPEG, GIF or WebP picture."}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED:
                raise Invalid(problem)
            if probe.width * probe.height > MAX_PIXELS:
                raise Invalid({"image": "The image has too many pixels (at most 40 million)."})
            probe.verify()  # a damaged or truncated file stops here
            image = Image.open(io.BytesIO(data))
            image.load()
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):  # fmt: skip
        raise Invalid(problem) from None
    return image


def _clean(image: Image.Image) -> Image.Image:
    """Turned as the camera meant, first frame only, in a mode the encoders take."""
    image = ImageOps.exif_transpose(image) or image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.info = {}  # no ICC, EXIF, XMP or text chunk may ride along into the new file
    return image


def _encode(image: Image.Image) -> tuple[bytes, str]:
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "png"
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), "jpg"


def _store(directory: Path, data: bytes, ext: str, suffix: str = "", digest: str | None = None) -> str:
    digest = digest or hashlib.sha256(data).hexdigest()[:40]
    key = f"{digest}{suffix}.{ext}"
    path = directory / key
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return key


def store_post_image(directory: Path, data: bytes, max_bytes: int) -> StoredImage:
    """A picture for a post: at most ``MAX_SIDE`` pixels on its longer side."""
    image = _clean(_open(data, max_bytes))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    encoded, ext = _encode(image)
    return StoredImage(_store(directory, encoded, ext), image.width, image.height)


def store_avatar(directory: Path, data: bytes, max_bytes: int) -> StoredImage:
    """A square crop from the middle, stored at each of ``AVATAR_SIZES``; the key is the largest.
    Avatars are always JPEG on white (a transparent one would vanish on the dark theme)."""
    image = _clean(_open(data, max_bytes))
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    side = min(image.size)
    square = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    sized = {size: square.resize((size, size), Image.Resampling.LANCZOS) for size in AVATAR_SIZES}
    first, _ = _encode(sized[AVATAR_SIZES[0]])
    digest = hashlib.sha256(first).hexdigest()[:40]
    keys = [_store(directory, _encode(img)[0], "jpg", f"-{size}", digest) for size, img in sized.items()]
    return StoredImage(keys[0], AVATAR_SIZES[0], AVATAR_SIZES[0])


def avatar_key(key: str, size: int) -> str:
    """The stored avatar at another of ``AVATAR_SIZES``."""
    return key.replace(f"-{AVATAR_SIZES[0]}.", f"-{size}.")


def image_path(directory: Path, key: str) -> Path | None:
    """The file for a key from a URL, or None when the key could not name one of ours."""
    if not KEY_RE.match(key):
        return None
    path = directory / key
    return path if path.is_file() else None
