"""Cleaning an uploaded image before it joins a draft: what is accepted, how it is cleaned, and its alt text.

An upload is hostile until it is cleaned:

- Its type is what its first bytes say (PNG, JPEG, GIF or WebP), never its name, and the
  decoder is then held to that type.
- It is decoded, bounded in bytes, pixels and frames (a "decompression bomb" is refused
  before it is expanded), and re-encoded from its pixels, so that nothing but the picture
  survives: EXIF with the GPS position a phone writes (a police photo's place can endanger
  people), XMP, IPTC, comments and text chunks. A camera's rotation is applied to the
  pixels first, so the picture still stands the right way up. The colour profile is kept.
- Its file name is text from a stranger: only its last path part, without control or
  direction-changing characters, bounded, and escaped wherever it is shown.
- Alt text is required (WCAG 2.2, 1.1.1) and bounded to what every network takes.

``clean`` turns an ``Upload`` into a ``Cleaned`` image or says why not (``InvalidInput``: 413, 415 or 422), and
the limits here (``MAX_FILE_BYTES``, ``MAX_PER_DRAFT``, ``MAX_ALT_CHARS``, ``MAX_UPLOAD_BODY``) are the ones the
API and the console hold a request to before they read it. Kept apart from everything that needs the
database: the draft's state changes (attach, remove, re-check) are in ``workflow.draft_images``, reading the
stored images in ``workflow.draft_media``, and what each network publishes in ``workflow.network_media``.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, ImageSequence

from warden.domain.errors import InvalidInput

__all__ = ["CONTENT_TYPES", "MAX_ALT_CHARS", "MAX_ANIMATION_PIXELS", "MAX_FILE_BYTES", "MAX_FRAMES", "MAX_NAME_CHARS",
           "MAX_PER_DRAFT", "MAX_PIXELS", "MAX_UPLOAD_BODY", "TYPES", "Cleaned", "Upload", "alt_text", "clean",
           "safe_filename", "sniff"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PER_DRAFT = 4
MAX_ALT_CHARS = 1000  # X's limit, the lowest of the networks
MAX_NAME_CHARS = 120
MAX_PIXELS = 40_000_000  # one frame
MAX_FRAMES = 200
MAX_ANIMATION_PIXELS = 30_000_000  # all frames together: bounds the memory decoding takes
#: The largest request body that carries images: every image of a draft at once (compose), and the form.
MAX_UPLOAD_BODY = MAX_PER_DRAFT * MAX_FILE_BYTES + 1024 * 1024
#: Format -> (content type, file extension).
TYPES: Mapping[str, tuple[str, str]] = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"),
                                        "GIF": ("image/gif", ".gif"), "WEBP": ("image/webp", ".webp")}
CONTENT_TYPES = frozenset(content_type for content_type, _ in TYPES.values())
_GENERIC_ALT = frozenset({"image", "photo", "picture", "img", "pic", "graphic", "alt", "alt text", "screenshot"})
#: EXIF orientation -> the transpose that stands the picture upright (as ``PIL.ImageOps.exif_transpose``).
_UPRIGHT: Mapping[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
#: The HTML standard's escapes in multipart file names (a quote, a line feed, a carriage return).
_BROWSER_ESCAPES = (("%22", '"'), ("%0A", "\n"), ("%0D", "\r"))
#: The decoder's facts that are part of the picture (kept when the rest of its metadata goes).
_PICTURE_INFO = ("transparency", "background", "icc_profile")


@dataclass(frozen=True)
class Upload:
    """An image as a person sent it: nothing here is trusted yet."""

    filename: str
    data: bytes
    alt_text: str


@dataclass(frozen=True)
class Cleaned:
    filename: str
    content_type: str
    data: bytes
    width: int
    height: int
    alt_text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """The image format the content says it is (magic numbers), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def safe_filename(name: str) -> str:
    """The last path part, without control, format (bidirectional, zero-width) or private characters,
    spaces collapsed, no leading dot, at most ``MAX_NAME_CHARS`` (keeping the extension)."""
    name = name or ""
    for escaped, char in _BROWSER_ESCAPES:  # how browsers write these three in a multipart file name
        name = name.replace(escaped, char)
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("Z") or char.isspace():
            kept.append(" ")
        elif not category.startswith("C"):
            kept.append(char)
    name = " ".join("".join(kept).split()).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[:MAX_NAME_CHARS - len(extension) - 2].rstrip() + "…." + extension
        else:
            name = name[:MAX_NAME_CHARS - 1].rstrip() + "…"
    return name or "image"


def alt_text(value: str, filename: str = "") -> str:
    """Alt text as it will be published: required, meaningful, bounded, storable."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" else c for c in text).strip()
    what = f"the image {filename}" if filename else "the image"
    if not text:
        raise InvalidInput(f"describe {what} for people who cannot see it (alt text)")
    if len(text) > MAX_ALT_CHARS:
        raise InvalidInput(f"the description of {what} is {len(text)} characters; the limit is {MAX_ALT_CHARS}",
                           code="text_too_long")
    if text.casefold().strip(" .") in _GENERIC_ALT or (filename and text.casefold() == filename.casefold()):
        raise InvalidInput(f"describe what {what} shows: a file name or a word like 'image' tells a screen "
                           "reader user nothing")
    return text


def clean(upload: Upload) -> Cleaned:
    """The upload decoded and re-encoded without metadata; ``InvalidInput`` (413, 415 or 422) says why not."""
    name = safe_filename(upload.filename)
    described = alt_text(upload.alt_text, name)
    data = upload.data
    if not data:
        raise InvalidInput(f"the image {name} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"the image {name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                           code="payload_too_large")
    kind = sniff(data)
    if kind is None:
        raise InvalidInput(f"the image {name} is not a PNG, JPEG, GIF or WebP image",
                           code="unsupported_media_type")
    try:
        encoded, width, height = _reencode(data, kind, name)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        raise InvalidInput(f"the image {name} has more pixels than the limit of {MAX_PIXELS:,}") from None
    except Exception:  # a hostile file can make any decoder fail in any way: it is refused, never a crash
        raise InvalidInput(f"the image {name} could not be read as a {kind} image") from None
    if len(encoded) > MAX_FILE_BYTES:
        raise InvalidInput(f"the image {name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB when cleaned",
                           code="payload_too_large")
    content_type, _ = TYPES[kind]
    return Cleaned(filename=name, content_type=content_type, data=encoded, width=width, height=height,
                   alt_text=described)


def _reencode(data: bytes, kind: str, name: str) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise InvalidInput(f"the image {name} is {width} x {height} pixels; the limit is {MAX_PIXELS:,}")
        frames = int(getattr(image, "n_frames", 1))
        if frames > 1:
            if frames > MAX_FRAMES or frames * width * height > MAX_ANIMATION_PIXELS:
                raise InvalidInput(f"the image {name} is an animation too long or too large to take")
            return _animation(image, kind), width, height
        image.load()
        upright = _upright(image)
        out = io.BytesIO()
        _save(upright, kind, out)
        return out.getvalue(), upright.width, upright.height


def _picture_only(image: Image.Image, source: Image.Image) -> Image.Image:
    image.info = {k: source.info[k] for k in _PICTURE_INFO if k in source.info}
    return image


def _upright(image: Image.Image) -> Image.Image:
    """A new image from the pixels (turned as the camera said), carrying none of the file's metadata."""
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # unreadable EXIF: the picture as it is
        orientation = None
    method = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    turned = image.transpose(method) if method is not None else image.copy()
    return _picture_only(turned, image)


def _save(image: Image.Image, kind: str, out: io.BytesIO) -> None:
    icc = image.info.get("icc_profile")
    if kind == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = _picture_only(image.convert("RGB"), image)
        image.save(out, format="JPEG", quality=90, icc_profile=icc)
    elif kind == "WEBP":
        image.save(out, format="WEBP", quality=90, icc_profile=icc)
    else:
        image.save(out, format=kind)


def _animation(image: Image.Image, kind: str) -> bytes:
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        duration = frame.info.get("duration", 100)
        durations.append(int(duration) if isinstance(duration, int | float) else 100)
        frames.append(_picture_only(frame.copy(), frame))
    loop = image.info.get("loop", 0)
    out = io.BytesIO()
    extra = {"quality": 90} if kind == "WEBP" else {}
    frames[0].save(out, format=kind, save_all=True, append_images=frames[1:], duration=durations,
                   loop=int(loop) if isinstance(loop, int) else 0, **extra)
    return out.getvalue()
