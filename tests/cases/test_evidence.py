"""Evidence files: what is refused, what is stored and how, and the chain's hold on them
(product §6). Every file is made here, in the test, from bytes, Pillow or pypdf."""

import hashlib
import io
import random
import re
import struct
import zlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from cases import services
from cases.evidence import check_evidence_file, evidence_download_name, evidence_limits
from cases.ledger import ledger_verify
from cases.models import Case, CaseEvent, Evidence
from cases.op import Op
from core.errors import ActionNotAllowed, ValidationFailed
from tests.cases.helpers import offer
from tests.conftest import at

E = CaseEvent.Type
NOW = at(2026, 3, 3, 10)


# --- Files made for the tests ------------------------------------------------------------------


def upload(content: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    # The content type is what a browser (or an attacker) claims; the checks never believe it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def image_bytes(fmt: str = "PNG", size=(32, 24), color=(200, 30, 30), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **options)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    # Random pixels do not compress: the file is a little over 3 * side * side bytes.
    out = io.BytesIO()
    pixels = random.Random(side).randbytes(3 * side * side)
    Image.frombytes("RGB", (side, side), pixels).save(out, "PNG")
    assert len(out.getvalue()) > 3 * side * side
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 52.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (112.0, 33.0, 4.0)
    data = image_bytes("JPEG", exif=exif.tobytes(), comment=b"taken at home")
    # The file made really does carry the position (so the test below can fail).
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def bomb_png(side: int = 30_000) -> bytes:
    """A 1-bit grey PNG declaring side × side pixels, its (all zero) rows deflated to ~100 KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\0" * (1 + (side + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def pdf_bytes(change=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _js_in_names(writer: PdfWriter) -> None:
    # Document-level JavaScript: the catalog's /Names → /JavaScript name tree.
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hello');"),
        }
    )
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )


def _js_open_action(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('http://example.invalid');"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _js_in_annotation_aa(writer: PdfWriter) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0)] * 2),
            NameObject("/AA"): DictionaryObject(
                {
                    NameObject("/E"): DictionaryObject(
                        {
                            NameObject("/S"): NameObject("/JavaScript"),
                            NameObject("/JS"): TextStringObject("this.exportDataObject();"),
                        }
                    )
                }
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _launch_action(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _embedded_file(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00" + b"\0" * 64)


def _file_attachment_annotation(writer: PdfWriter) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0)] * 2),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def box(kind: bytes, body: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_bytes(payload: int = 1000) -> bytes:
    return (
        box(b"ftyp", b"isom" + b"\0\0\2\0" + b"isomiso2avc1mp41")
        + box(b"moov", box(b"mvhd", b"\0" * 100))
        + box(b"mdat", b"\x11" * payload)
    )


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56 + b"\x90" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 50 + b"PE\0\0" + b"\x90" * 200


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.fixture
def case(file_case, mallory):
    """A complaint by alice that Acme acknowledged: both may post, so both may attach."""
    filed = file_case()
    return services.case_acknowledge(case=filed, actor=mallory, now=at(2026, 3, 3, 9))


def add(case, actor, content: bytes, name: str = "photo.jpg", **kw) -> Evidence:
    return services.evidence_add(case=case, actor=actor, file=upload(content, name), now=NOW, **kw)


def event_count(case) -> int:
    return CaseEvent.objects.filter(case=case).count()


# --- What is refused ---------------------------------------------------------------------------

REFUSED = {
    "elf_named_jpg": (ELF, "receipt.jpg", "file_type"),
    "pe_named_jpg": (PE, "receipt.jpg", "file_type"),
    "html_named_png": (b"<html><script>alert(1)</script></html>", "shot.png", "file_type"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "a.svg", "file_type"),
    "gif": (image_bytes("GIF"), "a.gif", "file_type"),
    "zip_named_pdf": (b"PK\x03\x04" + b"\0" * 100, "contract.pdf", "file_type"),
    "empty": (b"", "empty.jpg", "file_empty"),
    "truncated_png": (image_bytes("PNG")[:40], "cut.png", "image_unreadable"),
    "bomb": (bomb_png(), "big.png", "image_too_large"),
    "pdf_js_names": (pdf_bytes(_js_in_names), "a.pdf", "pdf_javascript"),
    "pdf_js_open_action": (pdf_bytes(_js_open_action), "a.pdf", "pdf_javascript"),
    "pdf_js_annotation": (pdf_bytes(_js_in_annotation_aa), "a.pdf", "pdf_javascript"),
    "pdf_launch": (pdf_bytes(_launch_action), "a.pdf", "pdf_javascript"),
    "pdf_embedded_file": (pdf_bytes(_embedded_file), "a.pdf", "pdf_embedded_file"),
    "pdf_attachment_annotation": (
        pdf_bytes(_file_attachment_annotation),
        "a.pdf",
        "pdf_embedded_file",
    ),
    "pdf_broken": (b"%PDF-1.7\n1 0 obj <<>> garbage", "a.pdf", "pdf_unreadable"),
    "mp4_without_moov": (
        box(b"ftyp", b"isom\0\0\2\0isom") + box(b"mdat", b"x" * 99),
        "v.mp4",
        "video_unreadable",
    ),
    "mp4_with_tail": (mp4_bytes() + b"<?php system($_GET['c']); ?>", "v.mp4", "video_unreadable"),
}


@pytest.mark.parametrize("label", REFUSED)
def test_a_bad_file_is_refused_with_a_message_and_changes_nothing(case, alice, media_root, label):
    content, name, code = REFUSED[label]
    before = event_count(case)
    with pytest.raises(ValidationFailed) as refused:
        add(case, alice, content, name)
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert refused.value.message
    assert stored_files(media_root) == []
    assert not Evidence.objects.exists()
    assert event_count(case) == before


def test_the_bomb_is_refused_before_it_is_decoded():
    # 900 million pixels: decoding would take about a gigabyte; the check reads the header only.
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(bomb_png(), "big.png"))
    assert refused.value.code == "image_too_large"


def test_the_pixel_limit_is_the_settings_not_only_pillows(settings):
    settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS = 1000
    check_evidence_file(upload(image_bytes("PNG", size=(25, 40)), "a.png"))  # 1000 pixels
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(image_bytes("PNG", size=(26, 40)), "a.png"))
    assert refused.value.code == "image_too_large"


def test_pillows_own_decompression_bomb_warning_is_a_refusal(settings, monkeypatch):
    # With our own limit out of the way, Pillow's warning (between its limit and twice it) refuses.
    settings.ODR_EVIDENCE_MAX_IMAGE_PIXELS = 10**12
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(image_bytes("PNG", size=(30, 30)), "a.png"))  # 900 pixels
    assert refused.value.code == "image_too_large"


def test_a_file_over_the_size_limit_is_refused(case, alice, settings, media_root):
    settings.ODR_EVIDENCE_MAX_FILE_BYTES = 20_000
    big = noise_png(100)  # ~30 KB
    assert len(big) > 20_000
    with pytest.raises(ValidationFailed) as refused:
        add(case, alice, big, "big.png")
    assert refused.value.code == "file_too_large"
    assert "MB" in refused.value.message
    assert stored_files(media_root) == []
    # The same file is accepted once the limit allows it.
    settings.ODR_EVIDENCE_MAX_FILE_BYTES = 100_000
    add(case, alice, big, "big.png")
    assert len(stored_files(media_root)) == 1


def test_a_video_has_its_own_size_limit(case, alice, settings):
    settings.ODR_EVIDENCE_MAX_FILE_BYTES = 5_000
    settings.ODR_EVIDENCE_MAX_VIDEO_BYTES = 50_000
    evidence = add(case, alice, mp4_bytes(payload=20_000), "clip.mp4")
    assert evidence.content_type == "video/mp4"
    with pytest.raises(ValidationFailed) as refused:
        add(case, alice, mp4_bytes(payload=60_000), "long.mp4")
    assert refused.value.code == "file_too_large"
    with pytest.raises(ValidationFailed) as refused:
        add(case, alice, noise_png(60), "photo.png")  # ~10 KB: over the 5 KB for images
    assert refused.value.code == "file_too_large"


def test_the_case_total_is_enforced(case, alice, mallory, settings, media_root):
    first = noise_png(40)
    settings.ODR_EVIDENCE_MAX_CASE_BYTES = int(len(first) * 1.5)
    add(case, alice, first, "first.png")
    before = event_count(case)
    # Whoever adds it: the limit is the case's.
    with pytest.raises(ValidationFailed) as refused:
        add(case, mallory, noise_png(40), "second.png")
    assert (refused.value.code, refused.value.field) == ("case_evidence_full", "file")
    assert len(stored_files(media_root)) == 1
    assert Evidence.objects.count() == 1
    assert event_count(case) == before


@pytest.mark.parametrize("persona", ["bob", "trent", "yves", "sam", "olivia"])
def test_a_party_who_may_not_attach_gets_action_not_allowed_and_nothing_is_stored(
    case, persona, request, media_root
):
    # olivia handles the case's office, but attaches only once the case is in mediation.
    actor = request.getfixturevalue(persona)
    before = event_count(case)
    with pytest.raises(ActionNotAllowed):
        add(case, actor, image_bytes("JPEG"))
    assert stored_files(media_root) == []
    assert not Evidence.objects.exists()
    assert event_count(case) == before


def test_an_anonymous_visitor_gets_action_not_allowed(case, media_root):
    with pytest.raises(ActionNotAllowed):
        add(case, AnonymousUser(), image_bytes("JPEG"))
    assert stored_files(media_root) == []


def test_a_closed_case_takes_no_evidence(case, alice, media_root):
    services.case_withdraw(case=case, actor=alice, now=NOW)
    with pytest.raises(ActionNotAllowed):
        add(case, alice, image_bytes("JPEG"))
    assert stored_files(media_root) == []


# --- What is stored ----------------------------------------------------------------------------


def test_a_jpeg_comes_back_re_encoded_without_exif_or_gps(case, alice):
    original = jpeg_with_gps()
    evidence = add(case, alice, original, "IMG_0001.jpg")
    stored = evidence.file.open("rb").read()
    assert stored != original
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert image.size == (32, 24)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "comment" not in image.info
    assert b"Exif" not in stored and b"PhoneMaker" not in stored and b"taken at home" not in stored
    assert (evidence.content_type, evidence.original_name) == ("image/jpeg", "IMG_0001.jpg")


def test_a_rotated_photo_is_turned_upright_before_its_orientation_tag_goes(case, alice):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    evidence = add(case, alice, image_bytes("JPEG", size=(40, 20), exif=exif.tobytes()))
    assert Image.open(evidence.file.open("rb")).size == (20, 40)


@pytest.mark.parametrize(
    "payload", [b"<?php system($_GET['c']); ?>", b"<html><script>alert(1)</script></html>"]
)
def test_a_png_with_a_payload_after_its_image_data_is_stored_without_it(case, alice, payload):
    # Accepted: the picture is real; what is stored is the picture re-encoded, so the payload
    # appended after IEND (or hidden in a text chunk) is not.
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", payload.decode())
    original = image_bytes("PNG", pnginfo=text) + payload
    assert original.count(payload) == 2
    evidence = add(case, alice, original, "shot.png")
    stored = evidence.file.open("rb").read()
    assert payload not in stored
    assert stored.endswith(b"IEND\xaeB`\x82")
    assert Image.open(io.BytesIO(stored)).info == {}
    assert evidence.content_type == "image/png"


def test_a_png_keeps_its_transparency(case, alice):
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 0)).save(out, "PNG")
    evidence = add(case, alice, out.getvalue(), "clear.png")
    image = Image.open(evidence.file.open("rb"))
    assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_a_clean_pdf_and_an_mp4_are_stored_as_uploaded(case, alice, mallory):
    pdf, mp4 = pdf_bytes(), mp4_bytes()
    document = add(case, mallory, pdf, "发票.pdf")
    video = add(case, alice, mp4, "开箱.mp4")
    assert document.file.open("rb").read() == pdf
    assert video.file.open("rb").read() == mp4
    assert (document.content_type, video.content_type) == ("application/pdf", "video/mp4")


def test_the_type_comes_from_the_bytes_not_the_name_or_the_browser(case, alice):
    # A real PNG named .pdf and announced as a PDF is a PNG, stored as .png.
    evidence = services.evidence_add(
        case=case,
        actor=alice,
        file=upload(image_bytes("PNG"), "contract.pdf", content_type="application/pdf"),
        now=NOW,
    )
    assert evidence.content_type == "image/png"
    assert evidence.file.name.endswith(".png")


def test_the_stored_name_is_random_and_not_the_original(case, alice, media_root):
    first = add(case, alice, image_bytes("JPEG"), "王爱丽的身份证.jpg")
    second = add(case, alice, image_bytes("JPEG"), "王爱丽的身份证.jpg")
    for evidence in (first, second):
        assert re.fullmatch(rf"evidence/{case.number}/[0-9a-f]{{32}}\.jpg", evidence.file.name)
        assert "身份证" not in evidence.file.name
    assert first.file.name != second.file.name
    assert [p.name for p in stored_files(media_root)] == sorted(
        e.file.name.rsplit("/", 1)[1] for e in (first, second)
    )


def test_the_event_chains_the_stored_files_digest_and_no_personal_text(case, alice):
    evidence = add(case, alice, image_bytes("PNG"), "我的照片.png", description="破损的包装")
    event = CaseEvent.objects.get(case=case, type=E.EVIDENCE_ADDED)
    on_disk = evidence.file.open("rb").read()
    assert event.data == {
        "evidence": evidence.pk,
        "party": "consumer",
        "sha256": hashlib.sha256(on_disk).hexdigest(),
        "size": len(on_disk),
        "content_type": "image/png",
        "name_sha256": hashlib.sha256("我的照片.png".encode()).hexdigest(),
        "description_sha256": hashlib.sha256("破损的包装".encode()).hexdigest(),
    }
    assert (evidence.sha256, evidence.size) == (event.data["sha256"], event.data["size"])
    assert evidence.description == "破损的包装"
    assert (event.actor_id, event.created_at) == (alice.pk, NOW)


def test_a_failure_after_the_file_was_saved_leaves_no_file(case, alice, media_root, monkeypatch):
    def fail(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Op, "save", fail)
    before = event_count(case)
    with pytest.raises(RuntimeError):
        add(case, alice, image_bytes("JPEG"))
    assert stored_files(media_root) == []
    assert not Evidence.objects.exists()
    assert event_count(case) == before


# --- With a report of non-fulfilment -----------------------------------------------------------


@pytest.fixture
def fulfilled(case, alice, mallory):
    offer(case, mallory, at(2026, 3, 3, 11))
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 3, 12))
    services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 4, 9))
    return case


def test_a_breach_report_records_its_evidence_before_the_report(fulfilled, alice, media_root):
    before = event_count(fulfilled)
    services.agreement_report_breach(
        case=fulfilled,
        actor=alice,
        description="没有退款",
        evidence=[upload(image_bytes("JPEG"), "a.jpg"), upload(pdf_bytes(), "b.pdf")],
        now=at(2026, 3, 5, 9),
    )
    new = list(fulfilled.events.filter(seq__gt=before).order_by("seq"))
    assert [e.type for e in new] == [E.EVIDENCE_ADDED, E.EVIDENCE_ADDED, E.BREACH_REPORTED]
    assert [e.data["content_type"] for e in new[:2]] == ["image/jpeg", "application/pdf"]
    assert len(stored_files(media_root)) == 2


def test_a_bad_file_stops_the_whole_breach_report(fulfilled, alice, media_root):
    before = event_count(fulfilled)
    with pytest.raises(ValidationFailed) as refused:
        services.agreement_report_breach(
            case=fulfilled,
            actor=alice,
            description="没有退款",
            evidence=[upload(image_bytes("JPEG"), "a.jpg"), upload(ELF, "b.jpg")],
            now=at(2026, 3, 5, 9),
        )
    assert refused.value.code == "file_type"
    fulfilled.refresh_from_db()
    assert fulfilled.status == "settled"
    assert fulfilled.current_agreement().breach_reported_at is None
    assert event_count(fulfilled) == before
    assert stored_files(media_root) == []


def test_a_breach_report_needs_no_evidence(fulfilled, alice):
    services.agreement_report_breach(
        case=fulfilled, actor=alice, description="没有退款", now=at(2026, 3, 5, 9)
    )
    assert fulfilled.events.filter(type=E.EVIDENCE_ADDED).count() == 0


# --- The chain vouches for the files -----------------------------------------------------------


def test_verify_ledger_passes_with_untouched_evidence(case, alice, capsys):
    add(case, alice, image_bytes("JPEG"))
    add(case, alice, pdf_bytes(), "b.pdf")
    assert list(ledger_verify()) == []
    call_command("verify_ledger")
    assert "OK" in capsys.readouterr().out


def test_verify_ledger_reports_an_altered_evidence_file(case, alice, capsys):
    add(case, alice, image_bytes("JPEG"))
    evidence = add(case, alice, pdf_bytes(), "b.pdf")
    event = CaseEvent.objects.get(case=case, data__evidence=evidence.pk)
    path = evidence.file.path
    with open(path, "r+b") as stored:  # one byte changed behind the application's back
        stored.seek(20)
        byte = stored.read(1)
        stored.seek(20)
        stored.write(bytes([byte[0] ^ 1]))
    [broken] = list(ledger_verify())
    assert (broken.case_number, broken.seq) == (case.number, event.seq)
    assert "altered" in broken.problem
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger")
    assert exit_.value.code == 1
    assert f"case {case.number}, event #{event.seq}: evidence #{evidence.pk}" in (
        capsys.readouterr().err
    )


def test_verify_ledger_reports_a_deleted_evidence_file_and_record(case, alice):
    evidence = add(case, alice, image_bytes("JPEG"))
    evidence.file.storage.delete(evidence.file.name)
    [broken] = list(ledger_verify())
    assert "stored file is missing" in broken.problem
    Evidence.objects.filter(pk=evidence.pk).delete()
    [broken] = list(ledger_verify())
    assert "record was deleted" in broken.problem


# --- What the page shows -----------------------------------------------------------------------


def test_the_limits_are_there_to_show_before_upload(settings):
    settings.ODR_EVIDENCE_MAX_FILE_BYTES = 10 * 1024 * 1024
    settings.ODR_EVIDENCE_MAX_VIDEO_BYTES = 30 * 1024 * 1024
    settings.ODR_EVIDENCE_MAX_CASE_BYTES = 50 * 1024 * 1024
    limits = evidence_limits()
    assert limits["types"] == ["JPEG", "PNG", "PDF", "MP4"]
    assert (limits["max_file_mb"], limits["max_video_mb"], limits["max_case_mb"]) == (10, 30, 50)
    assert "application/pdf" in limits["accept"].split(",")


@pytest.mark.parametrize(
    ("original", "content_type", "offered"),
    [
        ("发票.pdf", "application/pdf", "发票.pdf"),
        ("invoice.html", "application/pdf", "invoice.pdf"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ("", "video/mp4", "evidence.mp4"),
    ],
)
def test_a_download_is_named_with_the_extension_of_what_it_is(original, content_type, offered):
    assert evidence_download_name(original, content_type) == offered


# --- Evidence given when filing -----------------------------------------------------------------


def test_files_given_when_filing_follow_the_filing_in_the_chain(file_case, media_root):
    case = file_case(
        evidence=[upload(jpeg_with_gps(), "receipt.jpg"), upload(pdf_bytes(), "b.pdf")]
    )
    events = list(case.events.order_by("seq"))
    assert [e.type for e in events] == [E.FILED, E.EVIDENCE_ADDED, E.EVIDENCE_ADDED]
    assert [e.data["party"] for e in events[1:]] == ["consumer", "consumer"]
    assert len(stored_files(media_root)) == 2
    assert list(ledger_verify()) == []


def test_a_refused_file_files_nothing(file_case, media_root):
    with pytest.raises(ValidationFailed) as refused:
        file_case(evidence=[upload(image_bytes("JPEG"), "a.jpg"), upload(ELF, "b.jpg")])
    assert refused.value.code == "file_type"
    assert refused.value.field == "file"
    assert not Case.objects.exists()
    assert stored_files(media_root) == []
