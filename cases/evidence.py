"""Checking an evidence file before it is stored (product §6).

Only JPEG, PNG, PDF and MP4 are accepted, and which of them a file is comes from its bytes
(puremagic), never from its name or the content type the browser sent. Each kind is then checked
the way it can hurt: images are decoded and re-encoded with Pillow, so no metadata (EXIF with its
GPS position, comments, text chunks) and nothing hidden after the image data is kept; an image
whose decoding would cost too much (a decompression bomb) is refused from its header, before any
pixel is decoded, and a large one is stored reduced, decoded at that size; a PDF must open with
pypdf and carry no JavaScript, no action that starts a program and no embedded file; an MP4 must
be a well-formed run of boxes that starts with ``ftyp``. Every refusal is a ``ValidationFailed``
on the ``file`` field.

Stored files are served only as downloads (``Content-Disposition: attachment`` with
``X-Content-Type-Options: nosniff``), named by ``evidence_download_name``.
"""

import hashlib
import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from core.errors import ValidationFailed

MB = 1024 * 1024
FIELD = "file"


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    label: str
    video: bool = False


JPEG = Kind("image/jpeg", "jpg", "JPEG")
PNG = Kind("image/png", "png", "PNG")
PDF = Kind("application/pdf", "pdf", "PDF")
MP4 = Kind("video/mp4", "mp4", "MP4", video=True)
KINDS = {kind.content_type: kind for kind in (JPEG, PNG, PDF, MP4)}


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: ``content`` is what is to be stored (an image re-encoded,
    a PDF or a video as uploaded), ``size`` and ``sha256`` are those of ``content``."""

    content: bytes
    kind: Kind
    original_name: str
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def in_mb(size: int) -> int | float:
    value = round(size / MB, 1)
    return int(value) if value == int(value) else value


def max_file_bytes(kind: Kind) -> int:
    if kind.video:
        return settings.ODR_EVIDENCE_MAX_VIDEO_BYTES
    return settings.ODR_EVIDENCE_MAX_FILE_BYTES


def evidence_limits() -> dict:
    """Return what a page shows before upload: the accepted types and the size limits in MB."""
    return {
        "types": [kind.label for kind in KINDS.values()],
        # For <input type="file" accept="...">: a hint to the browser's picker, nothing more.
        "accept": ",".join(
            [
                ".jpg",
                ".jpeg",
                ".png",
                ".pdf",
                ".mp4",
                *(kind.content_type for kind in KINDS.values()),
            ]
        ),
        "max_file_mb": in_mb(settings.ODR_EVIDENCE_MAX_FILE_BYTES),
        "max_video_mb": in_mb(settings.ODR_EVIDENCE_MAX_VIDEO_BYTES),
        "max_case_mb": in_mb(settings.ODR_EVIDENCE_MAX_CASE_BYTES),
    }


def evidence_download_name(original_name: str, content_type: str) -> str:
    """Return the name to offer a stored file under: the person's name for it, with the
    extension of the type it was found to be (so "invoice.html" holding a PDF saves as
    "invoice.pdf" and opens as one)."""
    name = re.split(r"[/\\]", original_name)[-1]
    stem = name.rpartition(".")[0] if "." in name else name
    stem = re.sub(r'[\x00-\x1f\x7f:*?"<>|]+', "_", stem).strip(" ._")[:100]
    return f"{stem or 'evidence'}.{KINDS[content_type].extension}"


def _refuse_size(size: int, limit: int):
    return ValidationFailed(
        _("This file is %(size)s MB; a file of this type can be at most %(limit)s MB.")
        % {"size": in_mb(size), "limit": in_mb(limit)},
        code="file_too_large",
        field=FIELD,
    )


def _read(uploaded) -> bytes:
    """Read the upload from its start (a retry reads it again), refusing it before reading it
    when it is larger than any limit. One read, into one buffer: no copy of it is made."""
    largest = max(settings.ODR_EVIDENCE_MAX_FILE_BYTES, settings.ODR_EVIDENCE_MAX_VIDEO_BYTES)
    if uploaded.size is not None and uploaded.size > largest:
        raise _refuse_size(uploaded.size, largest)
    uploaded.seek(0)
    data = uploaded.read(largest + 1)
    if len(data) > largest:
        raise _refuse_size(len(data), largest)
    if not data:
        raise ValidationFailed(_("The file is empty."), code="file_empty", field=FIELD)
    return data


def _detect(data: bytes) -> Kind:
    """Return the accepted kind the bytes are, or refuse them."""
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        matches = []
    # puremagic lists its matches best first; several may tie (a PDF's "%PDF" also matches FDF):
    # the file is an accepted kind when exactly one accepted kind is among the best matches.
    # For MP4 puremagic knows the common ftyp brands (isom, mp42, M4V, f4v, 3gp5); a rarer one
    # (iso5, avc1, dash) is refused like any unknown file, and QuickTime (qt) is not MP4.
    best = [m for m in matches if m.confidence == matches[0].confidence] if matches else []
    kinds = {KINDS[m.mime_type] for m in best if m.mime_type in KINDS}
    if len(kinds) != 1:
        raise ValidationFailed(
            _(
                "Only JPEG or PNG images, PDF documents and MP4 videos can be attached, "
                "and this file is none of them."
            ),
            code="file_type",
            field=FIELD,
        )
    return kinds.pop()


# --- Images ------------------------------------------------------------------------------------
#
# What an image costs is in the pixels it declares, not in its bytes: a 200 KB PNG of one colour
# can declare 60 megapixels, which Pillow would hold as 240 MB (four bytes a pixel, and again for
# each copy made on the way). So, from the header alone and before any pixel is decoded, an
# image is refused when it declares more than ODR_EVIDENCE_MAX_IMAGE_PIXELS, or, when it is
# larger than what is stored (ODR_EVIDENCE_STORED_IMAGE_PIXELS), when it brings fewer bytes than
# one for every ODR_EVIDENCE_MAX_PIXELS_PER_BYTE pixels (a genuine photo or screenshot of that
# size never does), or when decoding it the way it is saved would take more than DECODE_BUDGET.
#
# A larger image is decoded at the size it is stored at, a whole fraction of its own (1/2, 1/3,
# …): a JPEG by its decoder's own reduced scale (1/2, 1/4, 1/8), an ordinary PNG a strip of rows
# at a time, each strip reduced as it comes; only the stored picture is ever held whole.

# The pixel buffers one image may take while it is decoded (a progressive JPEG's coefficients
# with its decoded picture; an unusual PNG decoded whole with what is made of it). With the file
# and its re-encoded copy this keeps a worker's growth for any one image under 150 MB.
DECODE_BUDGET = 112 * MB
# A picture is decoded (a PNG) or converted and reduced (anything held whole) in strips of rows
# of about this many bytes.
STRIP_BYTES = 1 * MB
# A JPEG decoded from more scans than this is refused: each scan is a pass over the whole
# picture (an encoder writes 1 to about 20), so thousands of tiny scans cost minutes of CPU.
JPEG_MAX_SCANS = 100

# The picture upright, for each EXIF orientation (as ImageOps.exif_transpose turns it).
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _refuse_image_size():
    return ValidationFailed(
        _(
            "This image has too many pixels to process (at most %(limit)s megapixels). "
            "Make it smaller and attach it again."
        )
        % {"limit": _megapixels(settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS)},
        code="image_too_large",
        field=FIELD,
    )


def _refuse_sparse(pixels: int, size: int):
    return ValidationFailed(
        _(
            "This image declares %(pixels)s megapixels in a file of only %(size)s KB, which no "
            "photo or screenshot does, so it is not processed. Save the picture again as JPEG "
            "or PNG and attach it again."
        )
        % {"pixels": _megapixels(pixels), "size": max(1, round(size / 1024))},
        code="image_too_sparse",
        field=FIELD,
    )


def _refuse_costly(pixels: int):
    return ValidationFailed(
        _(
            "This image (%(pixels)s megapixels) is saved in a way that takes too much memory to "
            "process. Save it again as an ordinary JPEG, or make it smaller, and attach it again."
        )
        % {"pixels": _megapixels(pixels)},
        code="image_too_large",
        field=FIELD,
    )


def _megapixels(pixels: int) -> int | float:
    value = round(pixels / 1_000_000, 1)
    return int(value) if value == int(value) else value


def _stored_mode(mode: str, transparent: bool) -> str:
    """What a picture decoded in ``mode`` is stored in: grey stays grey, transparency (a PNG's)
    is kept, everything else is RGB."""
    if transparent:
        return "RGBA"
    return "L" if mode == "L" else "RGB"


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow holds a pixel of ``mode`` in (RGB too takes four bytes)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _reduction(width: int, height: int, size: int) -> int:
    """Refuse an image that declares too many pixels, or too many for its bytes; return the
    whole factor its width and height are divided by to be stored (1: stored as it is)."""
    pixels = width * height
    limit = settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS
    if width < 1 or height < 1:
        raise ValueError("no pixels")
    # Pillow's own limit (Image.MAX_IMAGE_PIXELS) refuses too, should it be the lower one.
    if pixels > limit or (Image.MAX_IMAGE_PIXELS and pixels > Image.MAX_IMAGE_PIXELS):
        raise _refuse_image_size()
    stored = settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS
    if pixels > stored and pixels > size * settings.ODR_EVIDENCE_MAX_PIXELS_PER_BYTE:
        raise _refuse_sparse(pixels, size)
    return _factor(pixels)


def _factor(pixels: int) -> int:
    """The least whole factor that reduces ``pixels`` to the stored size."""
    stored, factor = max(1, settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS), 1
    while pixels > stored * factor * factor:
        factor += 1
    return factor


def _assembled(strips: Iterable[Image.Image], size: tuple[int, int], mode: str, factor: int):
    """Return the picture made of ``strips`` (consecutive rows, each a multiple of ``factor``
    high but the last) converted to ``mode`` and reduced by ``factor``, one strip at a time."""
    width, height = size
    picture = Image.new(mode, (-(-width // factor), -(-height // factor)))
    top = 0
    for strip in strips:
        piece = strip if strip.mode == mode else strip.convert(mode)
        if factor > 1:
            piece = piece.reduce(factor)
        picture.paste(piece, (0, top))
        top += piece.height
    if top != picture.height:
        raise ValueError("image data ends early")
    return picture


def _strips_of(image: Image.Image, factor: int) -> Iterable[Image.Image]:
    rows = max(factor, STRIP_BYTES // max(1, image.width * 4) // factor * factor)
    for top in range(0, image.height, rows):
        yield image.crop((0, top, image.width, min(top + rows, image.height)))


# --- JPEG


def _jpeg_first_scan_components(data: bytes) -> int:
    """The number of components the first scan of the JPEG holds (from its SOS header)."""
    position = 2
    while position + 4 < len(data):
        if data[position] != 0xFF:
            raise ValueError("not a marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
        elif marker == 0xDA:
            return data[position + 4]
        else:
            (length,) = struct.unpack_from(">H", data, position + 2)
            position += 2 + length
    raise ValueError("no scan")


def _jpeg_coefficient_bytes(image, data: bytes) -> int:
    """What the decoder holds besides the picture: for a JPEG it cannot decode in one pass (a
    progressive one, or one whose first scan lacks components) the DCT coefficients of the whole
    image, two bytes for each of every block's 64; nothing otherwise."""
    components = image.layer  # (id, horizontal sampling, vertical sampling, table)
    progressive = bool(image.info.get("progressive"))
    if not progressive and _jpeg_first_scan_components(data) >= len(components):
        return 0
    if data.count(b"\xff\xda") > JPEG_MAX_SCANS:
        raise _refuse_costly(image.width * image.height)
    h_max = max(c[1] for c in components)
    v_max = max(c[2] for c in components)
    mcu_columns = -(-image.width // (8 * h_max))
    mcu_rows = -(-image.height // (8 * v_max))
    blocks = sum(mcu_columns * c[1] * mcu_rows * c[2] for c in components)
    return blocks * 64 * 2


def _jpeg_picture(data: bytes) -> tuple[Image.Image, int | None]:
    image = Image.open(io.BytesIO(data), formats=["JPEG"])
    pixels = image.width * image.height
    factor = _reduction(image.width, image.height, len(data))
    orientation = Image.Image.getexif(image).get(ExifTags.Base.Orientation)
    coefficients = _jpeg_coefficient_bytes(image, data)
    # The decoder scales by 1/2, 1/4 or 1/8 as it decodes: the largest of them within the factor.
    scale = max(s for s in (1, 2, 4, 8) if s <= factor)
    if scale > 1:
        image.draft(image.mode, (image.width // scale, image.height // scale))
    decoded = image.width * image.height * _bytes_per_pixel(image.mode)
    if coefficients + decoded > DECODE_BUDGET:
        raise _refuse_costly(pixels)
    image.load()
    mode = _stored_mode(image.mode, transparent=False)
    rest = _factor(image.width * image.height)  # what the decoder's scale left to do
    if image.mode != mode or rest > 1:
        image = _assembled(_strips_of(image, rest), image.size, mode, rest)
    return image, orientation


# --- PNG

# The colour types decoded in strips, at 8 bits a sample and not interlaced (every screenshot
# and nearly every PNG): Pillow's mode for each and its samples (bytes) a pixel.
PNG_STRIP_MODES = {0: ("L", 1), 2: ("RGB", 3), 3: ("P", 1), 4: ("LA", 2), 6: ("RGBA", 4)}


@dataclass(frozen=True)
class _PngLayout:
    width: int
    height: int
    depth: int
    colour: int
    interlaced: bool
    palette: bytes  # the PLTE and tRNS chunks as they are
    exif: bytes | None
    idat: list[tuple[int, int]]  # where the image data lies in the file

    @property
    def transparent(self) -> bool:
        return self.colour in (4, 6) or b"tRNS" in self.palette


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_layout(data: bytes) -> _PngLayout:
    header, palette, exif, idat = None, [], None, []
    position = 8
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        start = position + 8
        end = start + length
        if end + 4 > len(data):
            break
        if kind == b"IHDR" and length == 13:
            header = struct.unpack_from(">IIBBBBB", data, start)
        elif kind in (b"PLTE", b"tRNS"):
            palette.append(data[position : end + 4])
        elif kind == b"eXIf":
            exif = data[start:end]
        elif kind == b"IDAT":
            idat.append((start, end))
        elif kind == b"IEND":
            break
        position = end + 4
    if header is None or not idat:
        raise ValueError("no image header or data")
    width, height, depth, colour, _compression, _filter, interlace = header
    return _PngLayout(width, height, depth, colour, interlace != 0, b"".join(palette), exif, idat)


def _png_file(layout: _PngLayout, width: int, height: int, idat: bytes) -> bytes:
    header = struct.pack(
        ">IIBBBBB", width, height, layout.depth, layout.colour, 0, 0, int(layout.interlaced)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + layout.palette
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _png_strips(data: bytes, layout: _PngLayout, factor: int) -> Iterable[Image.Image]:
    """Decode the image a strip of rows at a time. Each strip is handed to Pillow as a PNG of
    its own: its rows as they are filtered in the file, after the last row of the strip before
    (as decoded, unfiltered), which the filters of its first row refer to."""
    mode, channels = PNG_STRIP_MODES[layout.colour]
    width = layout.width
    stride = 1 + width * channels  # a row: its filter type, then its samples
    rows = max(factor, STRIP_BYTES // stride // factor * factor)
    inflater = zlib.decompressobj()
    view = memoryview(data)
    # At most 64 KB of input at a time: what the inflater leaves over is copied each time.
    pieces = (
        view[at : min(at + 65536, end)]
        for start, end in layout.idat
        for at in range(start, end, 65536)
    )
    pending, given, previous = b"", False, b""
    for top in range(0, layout.height, rows):
        count = min(rows, layout.height - top)
        wanted = count * stride
        filtered = bytearray()
        while len(filtered) < wanted:
            if not pending and not given:
                pending = next(pieces, None)
                if pending is None:  # all given: what the inflater still holds is asked for
                    pending, given = b"", True
            out = inflater.decompress(pending, wanted - len(filtered))
            pending = inflater.unconsumed_tail
            if not out and not pending and (given or inflater.eof):
                raise ValueError("image data ends early")
            filtered += out
        if previous:
            filtered[0:0] = b"\0" + previous  # filter type 0: the row as it is
        strip_file = _png_file(layout, width, count + bool(previous), zlib.compress(filtered, 0))
        del filtered
        strip = Image.open(io.BytesIO(strip_file), formats=["PNG"])
        del strip_file
        strip.load()
        if previous:
            strip = strip.crop((0, 1, width, count + 1))
        if strip.mode != mode:
            raise ValueError("unexpected mode")
        previous = strip.crop((0, count - 1, width, count)).tobytes()
        yield strip


def _whole_cost(pixels: int, decoded: str, stored: str, factor: int) -> int:
    """The pixel buffers of a picture decoded whole in mode ``decoded``, with what is made of it
    when it must be converted to ``stored`` or reduced by ``factor``."""
    cost = pixels * _bytes_per_pixel(decoded)
    if decoded != stored or factor > 1:
        cost += pixels // (factor * factor) * _bytes_per_pixel(stored)
    return cost


def _png_picture(data: bytes) -> tuple[Image.Image, int | None]:
    layout = _png_layout(data)
    factor = _reduction(layout.width, layout.height, len(data))
    orientation = None
    if layout.exif:
        exif = Image.Exif()
        exif.load(layout.exif)
        orientation = exif.get(ExifTags.Base.Orientation)
    size = (layout.width, layout.height)
    pixels = layout.width * layout.height
    if layout.depth == 8 and not layout.interlaced and layout.colour in PNG_STRIP_MODES:
        decoded = PNG_STRIP_MODES[layout.colour][0]
        mode = _stored_mode(decoded, layout.transparent)
        # Reduced, or too large to hold whole: a strip at a time. Otherwise decoded whole,
        # which is faster (a phone's screenshot: 0.04 s less).
        if factor > 1 or _whole_cost(pixels, decoded, mode, factor) > DECODE_BUDGET:
            return _assembled(_png_strips(data, layout, factor), size, mode, factor), orientation
    # Decoded whole (and other bit depths and interlaced images always), within the budget.
    # Pillow is given the image alone, without the text and profiles it would otherwise read in.
    idat = b"".join(memoryview(data)[start:end] for start, end in layout.idat)
    image = Image.open(io.BytesIO(_png_file(layout, *size, idat)), formats=["PNG"])
    del idat
    mode = _stored_mode(image.mode, image.has_transparency_data)
    if _whole_cost(pixels, image.mode, mode, factor) > DECODE_BUDGET:
        raise _refuse_costly(pixels)
    image.load()
    if factor > 1:
        image = _assembled(_strips_of(image, factor), size, mode, factor)
    elif image.mode != mode:
        image = image.convert(mode)
    return image, orientation


def _reencoded(data: bytes, kind: Kind) -> bytes:
    """Decode the image and encode its pixels afresh, upright, reduced to the stored size and
    with no metadata; refuse a bomb before decoding it."""
    try:
        # Pillow warns of (and past twice its limit refuses) images that would decode to more
        # pixels than it deems safe; here the warning is a refusal too.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture, orientation = (_jpeg_picture if kind == JPEG else _png_picture)(data)
            # Turned upright before the orientation tag goes with the EXIF.
            if orientation in TURNS:
                picture = picture.transpose(TURNS[orientation])
            # Only the pixels go on: Pillow writes comments and ICC profiles back from ``info``
            # (a wide-gamut photo's colours may shift a little).
            picture.info = {}
            out = io.BytesIO()
            if kind == JPEG:
                picture.save(out, format="JPEG", quality=90)
            else:
                picture.save(out, format="PNG")
            return out.getvalue()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse_image_size() from None
    except Exception:  # a hostile or damaged file makes Pillow raise almost anything
        raise ValidationFailed(
            _(
                "This image could not be read; it may be damaged. Save it again as JPEG or PNG "
                "and attach it again."
            ),
            code="image_unreadable",
            field=FIELD,
        ) from None


# --- PDF ---------------------------------------------------------------------------------------

# Beyond this many objects a PDF is refused rather than inspected without end.
PDF_MAX_OBJECTS = 200_000

SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA"}  # XFA forms carry scripts of their own
SCRIPT_ACTIONS = {"/JavaScript", "/Launch"}  # the /S of an action dictionary
EMBEDDED_KEYS = {"/EmbeddedFiles", "/EF"}


def _pdf_objects(reader: PdfReader) -> Iterable[DictionaryObject]:
    """Yield every dictionary reachable from the trailer (catalog, names, actions, annotations,
    pages, …), each indirect object once."""
    stack: list = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            if len(seen) > PDF_MAX_OBJECTS:
                raise ValueError("too many objects")
            obj = obj.get_object()
        # dict.values and list.__iter__ give the references as stored, unresolved, so that each
        # indirect object is visited once however often (or circularly) it is referred to.
        if isinstance(obj, DictionaryObject):  # streams too: their dictionary, not their data
            yield obj
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def _name(value) -> str | None:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    return str(value) if isinstance(value, NameObject) else None


def _pdf_findings(reader: PdfReader) -> set[str]:
    found = set()
    for obj in _pdf_objects(reader):
        for key, value in dict.items(obj):
            if key in SCRIPT_KEYS or (key == "/S" and _name(value) in SCRIPT_ACTIONS):
                found.add("script")
            if (
                key in EMBEDDED_KEYS
                or (key == "/Subtype" and _name(value) == "/FileAttachment")
                or (key == "/Type" and _name(value) == "/EmbeddedFile")
            ):
                found.add("embedded")
    return found


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("needs a password")
        if len(reader.pages) == 0:
            raise ValueError("no pages")
        found = _pdf_findings(reader)
    except Exception:  # pypdf raises many kinds of error on hostile or damaged files
        raise ValidationFailed(
            _(
                "This PDF could not be opened; it may be damaged or protected by a password. "
                "Save it again as a PDF without a password and attach it again."
            ),
            code="pdf_unreadable",
            field=FIELD,
        ) from None
    if "script" in found:
        raise ValidationFailed(
            _(
                "PDF files that contain JavaScript or actions that start programs are not "
                "accepted. Print the document to a new PDF and attach that."
            ),
            code="pdf_javascript",
            field=FIELD,
        )
    if "embedded" in found:
        raise ValidationFailed(
            _(
                "PDF files with embedded or attached files are not accepted. "
                "Attach each file on its own."
            ),
            code="pdf_embedded_file",
            field=FIELD,
        )


# --- MP4 ---------------------------------------------------------------------------------------


def _mp4_boxes(data: bytes) -> Iterable[bytes]:
    """Yield the type of each top-level box; raise ValueError unless the boxes fill the file
    exactly (nothing before, between or after them)."""
    position = 0
    while position < len(data):
        if len(data) - position < 8:
            raise ValueError("truncated box header")
        size, box_type = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if len(data) - position < 16:
                raise ValueError("truncated box header")
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - position
        if size < header or position + size > len(data) or not re.fullmatch(rb"[ -~]{4}", box_type):
            raise ValueError("malformed box")
        yield box_type
        position += size


def _check_mp4(data: bytes) -> None:
    try:
        boxes = list(_mp4_boxes(data))
    except ValueError:
        boxes = []
    # ftyp says what the file is; moov holds the index without which nothing plays.
    if not boxes or boxes[0] != b"ftyp" or b"moov" not in boxes:
        raise ValidationFailed(
            _("This MP4 video could not be read; it may be damaged or incomplete."),
            code="video_unreadable",
            field=FIELD,
        )


# --- The check ---------------------------------------------------------------------------------


def check_evidence_file(uploaded) -> CheckedFile:
    """Return what to store for an uploaded file (a Django ``UploadedFile``), or raise
    ``ValidationFailed`` on the ``file`` field saying why it is refused.

    The per-case total is checked by the service, against what the case already holds.
    """
    data = _read(uploaded)
    kind = _detect(data)
    if len(data) > max_file_bytes(kind):
        raise _refuse_size(len(data), max_file_bytes(kind))
    if kind in (JPEG, PNG):
        content = _reencoded(data, kind)
    elif kind == PDF:
        _check_pdf(data)
        content = data
    else:
        _check_mp4(data)
        content = data
    name = re.split(r"[/\\]", uploaded.name or "")[-1]
    return CheckedFile(
        content=content,
        kind=kind,
        original_name=name[:255],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
