"""Cleaning an uploaded image: the type comes from the content, the metadata goes (GPS above all), the
picture stays upright, hostile names are made harmless text, bombs and impostors are refused; the table of
what each network publishes matches what its connector declares."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from warden.connectors.base import Capability
from warden.domain.errors import InvalidInput
from warden.workflow import draft_media, image_uploads, network_media

ALT = "Officers at the open day with the dog unit"


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: camera, GPS position (51°30'12.5"N 0°7'39"W), an XMP packet, a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Force Issue 12"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    picture = Image.new("RGB", size, "white")
    picture.paste(Image.new("RGB", (size[0] // 2, size[1]), "navy"))  # left half dark: shows which way is up
    picture.save(out, "JPEG", exif=exif, comment=b"taken outside 12 Acacia Avenue",
                 xmp=b"<x:xmpmeta><exif:GPSLatitude>51,30.2N</exif:GPSLatitude></x:xmpmeta>")
    return out.getvalue()


def png(size: tuple[int, int] = (20, 10), **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 200)).save(out, "PNG", **options)  # type: ignore[arg-type]
    return out.getvalue()


def test_a_phone_photo_loses_its_gps_position_and_every_other_metadata() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test image really carries a position
    cleaned = image_uploads.clean(image_uploads.Upload("IMG_2041.JPG", original, ALT))
    assert cleaned.content_type == "image/jpeg" and (cleaned.width, cleaned.height) == (64, 48)
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert after.format == "JPEG"
        assert dict(after.getexif()) == {} and after.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not {"exif", "xmp", "comment"} & set(after.info)
    for trace in (b"Exif", b"PhoneMaker", b"Force Issue", b"Acacia", b"xmpmeta", b"GPS"):
        assert trace not in cleaned.data, trace
    assert cleaned.sha256 == image_uploads.hashlib.sha256(cleaned.data).hexdigest()


def test_the_camera_rotation_is_applied_to_the_pixels_before_it_is_dropped() -> None:
    cleaned = image_uploads.clean(image_uploads.Upload("sideways.jpg", jpeg_with_gps((64, 48), orientation=6), ALT))
    assert (cleaned.width, cleaned.height) == (48, 64)  # stood upright, as the phone showed it
    with Image.open(io.BytesIO(cleaned.data)) as after:
        top, bottom = after.convert("L").getpixel((24, 2)), after.convert("L").getpixel((24, 61))
        assert isinstance(top, int) and isinstance(bottom, int) and top < 100 < bottom  # the dark half is on top


def test_png_text_chunks_and_exif_go_and_transparency_stays() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "51.5072N 0.1276W")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    cleaned = image_uploads.clean(image_uploads.Upload("map.png", png(pnginfo=info, exif=exif), ALT))
    assert cleaned.content_type == "image/png"
    for trace in (b"51.5072", b"xmpmeta", b"eXIf", b"PhoneMaker", b"tEXt", b"iTXt"):
        assert trace not in cleaned.data, trace
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert after.mode == "RGBA" and after.getpixel((0, 0)) == (0, 128, 0, 200)


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_animations_keep_their_frames_and_lose_their_metadata(kind: str) -> None:
    frames = [Image.new("RGB", (24, 24), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    extra = {"comment": b"secret place"} if kind == "GIF" else {"exif": b"Exif\x00\x00secret place"}
    frames[0].save(out, kind, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0,
                   **extra)  # type: ignore[arg-type]
    cleaned = image_uploads.clean(image_uploads.Upload(f"wave.{kind.lower()}", out.getvalue(),
                                                       "Three coloured squares in turn"))
    assert cleaned.content_type == f"image/{kind.lower()}" and b"secret place" not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert getattr(after, "n_frames", 1) == 3


def test_the_type_is_read_from_the_content_never_the_name() -> None:
    as_png = image_uploads.clean(image_uploads.Upload("holiday.jpg", png(), ALT))  # a PNG named .jpg is a PNG
    assert as_png.content_type == "image/png"
    assert image_uploads.sniff(b"\xff\xd8\xff\xe0") == "JPEG"
    assert image_uploads.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    impostors = [b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", b"<html><script>alert(1)</script>",
                 b"%PDF-1.7", b"MZ\x90\x00", b"BM" + b"\x00" * 64]
    for data in impostors:
        with pytest.raises(InvalidInput) as refused:
            image_uploads.clean(image_uploads.Upload("photo.png", data, ALT))
        assert refused.value.code == "unsupported_media_type"


def test_a_file_that_only_starts_like_an_image_is_refused_politely() -> None:
    for data in (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a\x01\x00", b"\xff\xd8\xff\xe0garbage",
                 png()[:60], b"RIFF\x10\x00\x00\x00WEBPVP8 junk"):
        with pytest.raises(InvalidInput) as refused:
            image_uploads.clean(image_uploads.Upload("x.png", data, ALT))
        assert refused.value.code == "invalid_input" and "could not be read" in refused.value.message


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be huge: its header says so, its pixels are not there (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_size_and_pixel_bombs_are_refused_before_they_are_decoded() -> None:
    with pytest.raises(InvalidInput) as refused:
        image_uploads.clean(image_uploads.Upload("big.png",
                                                 b"\x89PNG\r\n\x1a\n" + b"\x00" * image_uploads.MAX_FILE_BYTES, ALT))
    assert refused.value.code == "payload_too_large"
    with pytest.raises(InvalidInput, match="pixels"):
        image_uploads.clean(image_uploads.Upload("bomb.png", _png_header_only(50_000, 50_000), ALT))
    with pytest.raises(InvalidInput, match="empty"):
        image_uploads.clean(image_uploads.Upload("nothing.png", b"", ALT))


def test_alt_text_is_required_meaningful_and_bounded() -> None:
    for missing in ("", "   ", "\n\t"):
        with pytest.raises(InvalidInput, match="alt text"):
            image_uploads.clean(image_uploads.Upload("a.png", png(), missing))
    for empty_words in ("image", "Photo.", "IMG_2041.png"):
        with pytest.raises(InvalidInput, match="tells a screen reader user nothing"):
            image_uploads.clean(image_uploads.Upload("IMG_2041.png", png(), empty_words))
    with pytest.raises(InvalidInput) as long:
        image_uploads.clean(image_uploads.Upload("a.png", png(), "x" * (image_uploads.MAX_ALT_CHARS + 1)))
    assert long.value.code == "text_too_long"
    assert (image_uploads.alt_text("  A dog\x00 on\x07 a lead  ")
            == "A dog  on  a lead")  # nothing a database cannot store


@pytest.mark.parametrize(("sent", "kept"), [
    ("C:\\Users\\pc\\Pictures\\raid.jpg", "raid.jpg"),
    ("../../etc/passwd.png", "passwd.png"),
    ('"><img src=x onerror=alert(1)>.png', '"><img src=x onerror=alert(1)>.png'),  # kept as text, escaped on show
    ("\u202egnp.exe", "gnp.exe"),  # right-to-left override gone: it cannot pose as another name
    ("a\u200bb\x00c\nd.png", "abc d.png"),
    (".hidden.png", "hidden.png"),
    ("", "image"),
    ("\u00a0 \u3000", "image"),
    ("%22quoted%22%0Aname.png", '"quoted" name.png'),  # as a browser escapes them in a multipart form
])
def test_file_names_are_hostile_text_made_harmless(sent: str, kept: str) -> None:
    assert image_uploads.safe_filename(sent) == kept


def test_long_file_names_are_cut_keeping_the_extension() -> None:
    name = image_uploads.safe_filename("x" * 5000 + ".jpeg")
    assert len(name) == image_uploads.MAX_NAME_CHARS and name.endswith("….jpeg")


def test_the_risk_check_reads_the_descriptions_and_file_names_after_the_post() -> None:
    images = [image_uploads.Cleaned("jo_bloggs-custody.jpg", "image/jpeg", b"", 1, 1, "A man in handcuffs"),
              image_uploads.Cleaned("b.png", "image/png", b"", 1, 1, "Road sign")]
    text, segments = draft_media.check_text("Arrest made.", images)
    assert text.startswith("Arrest made.\n\nImage 1 description: A man in handcuffs")
    assert "jo bloggs custody jpg" in text  # word boundaries for registers and lexicons
    for segment, image in zip(segments[::2], images, strict=True):
        assert text[segment.start:segment.end] == image.alt_text
    name = segments[1]
    assert (name.part, text[name.start:name.end]) == ("filename", draft_media.name_words("jo_bloggs-custody.jpg"))
    assert len(draft_media.name_words("jo_bloggs-custody.jpg")) == len("jo_bloggs-custody.jpg")  # offsets still fit
    assert draft_media.check_text("Just text.", []) == ("Just text.", [])


def test_what_each_network_publishes_matches_its_connector() -> None:
    from warden.connectors import replay
    from warden.connectors.bluesky import connector as bluesky
    from warden.connectors.mastodon import connector as mastodon
    from warden.connectors.meta import facebook, instagram
    from warden.connectors.registry import NETWORKS
    from warden.connectors.x import connector as x

    declared = {"replay": replay.CAPABILITIES, "bluesky": bluesky.CAPABILITIES, "mastodon": mastodon.CAPABILITIES,
                "instagram": instagram.CAPABILITIES, "facebook": facebook._BASE, "x": x._BASE}
    assert set(network_media.PUBLISHES) == set(NETWORKS) == set(declared)
    publishing = {Capability.PUBLISH, Capability.PUBLISH_MEDIA}
    for network, capabilities in declared.items():
        assert network_media.PUBLISHES[network] == capabilities & publishing, network


def test_publishing_problems_name_the_account_and_the_way_out() -> None:
    problem = network_media.publishing_problem("x", "north_police", with_media=True)
    assert problem is not None and "north_police (an X account)" in problem and "remove the images" in problem
    assert "mastodon" in problem and "bluesky" in problem and "replay" in problem
    assert network_media.publishing_problem("mastodon", "north_police", with_media=True) is None
    assert network_media.publishing_problem("replay", "north_police", with_media=True) is None
    assert network_media.publishing_problem("replay", "north_police", with_media=False) is None
    needs_image = network_media.publishing_problem("instagram", "north_insta", with_media=False)
    assert needs_image is not None and "north_insta (an Instagram account) needs an image" in needs_image
