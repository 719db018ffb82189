"""Checking an evidence file before it is stored (product §6).

Only JPEG, PNG, PDF and MP4 are accepted, and which of them a file is comes from its bytes
(puremagic), never from its name or the content type the browser sent. Each kind is then checked
the way it can hurt: images are decoded and re-encoded with Pillow, so no metadata (EXIF with its
GPS position, comments, text chunks) and nothing hidden after the image data is kept, and an image
too large to decode safely is refused; a PDF must open with pypdf and carry no JavaScript, no
action that starts a program and no embedded file; an MP4 must be a well-formed run of boxes that
starts with ``ftyp``. Every refusal is a ``ValidationFailed`` on the ``file`` field.

Stored files are served only as downloads (``Content-Disposition: attachment`` with
``X-Content-Type-Options: nosniff``), named by ``evidence_download_name``.
"""

import hashlib
import io
import re
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
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
    """Read the upload, refusing it (before reading it all) when it is larger than any limit."""
    largest = max(settings.ODR_EVIDENCE_MAX_FILE_BYTES, settings.ODR_EVIDENCE_MAX_VIDEO_BYTES)
    if uploaded.size is not None and uploaded.size > largest:
        raise _refuse_size(uploaded.size, largest)
    data = bytearray()
    for chunk in uploaded.chunks():
        data += chunk
        if len(data) > largest:
            raise _refuse_size(len(data), largest)
    if not data:
        raise ValidationFailed(_("The file is empty."), code="file_empty", field=FIELD)
    return bytes(data)


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


def _refuse_image_size():
    return ValidationFailed(
        _(
            "This image has too many pixels to process (at most %(limit)s megapixels). "
            "Make it smaller and attach it again."
        )
        % {"limit": round(settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS / 1_000_000, 1)},
        code="image_too_large",
        field=FIELD,
    )


def _reencoded(data: bytes, kind: Kind) -> bytes:
    """Decode the image and encode its pixels afresh, with no metadata; refuse a bomb."""
    try:
        # Pillow warns of (and past twice its limit refuses) images that would decode to more
        # pixels than it deems safe; here the warning is a refusal too.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind.label]) as image:
                if image.width * image.height > settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS:
                    raise _refuse_image_size()
                image.load()
                # Turn the picture upright before its orientation tag goes with the EXIF.
                upright = ImageOps.exif_transpose(image)
                if kind == PNG and upright.has_transparency_data:
                    mode = "RGBA"
                else:
                    mode = "L" if upright.mode == "L" else "RGB"
                clean = upright.convert(mode)
                # convert() copies ``info``, from which Pillow writes comments and ICC profiles
                # back; only the pixels go on (a wide-gamut photo's colours may shift a little).
                clean.info = {}
                out = io.BytesIO()
                if kind == JPEG:
                    clean.save(out, format="JPEG", quality=90)
                else:
                    clean.save(out, format="PNG")
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
