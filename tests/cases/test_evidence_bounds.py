"""What an evidence image may cost (issue 23, item 4): who may attach is asked before any file is
read; an image is refused from its header when it declares too many pixels, too many for its
bytes, or a decoding too costly; a large one is stored reduced, decoded at that size; and uploads
are limited per person on the pages. Every file is made here, from bytes or Pillow."""

import functools
import io
import random
import re
import struct
import zlib

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from cases import evidence, services
from cases.evidence import check_evidence_file
from cases.models import Case, Evidence
from cases.rules import Action
from core.errors import ActionNotAllowed, ValidationFailed
from tests.cases.helpers import offer
from tests.cases.test_evidence import ELF, bomb_png, image_bytes, upload
from tests.conftest import at, sign_in
from tests.consumers.test_filing import file_against, step

NOW = at(2026, 3, 3, 10)
ISSUE_SIDE = 7745  # the image of the issue: 7,745 × 7,745 pixels of one colour, about 200 KB


# --- Files made for the tests ------------------------------------------------------------------


def png_of_rows(width: int, height: int, row, colour: int = 2, level: int = 9) -> bytes:
    """An 8-bit PNG whose row ``y`` holds ``row(y)`` (its samples, unfiltered), deflated as it
    is made, so that no picture of that size is ever held here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    deflate = zlib.compressobj(level)
    idat = b"".join(deflate.compress(b"\0" + row(y)) for y in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@functools.cache
def solid_png(width: int, height: int) -> bytes:
    """One colour: the rows deflate to almost nothing (about 1,000 pixels a byte)."""
    line = bytes((200, 30, 30)) * width
    return png_of_rows(width, height, lambda y: line)


@functools.cache
def striped_png(width: int, height: int, every: int) -> bytes:
    """A screenshot's worth of bytes: one colour, with a row of noise every ``every`` rows."""
    line = bytes((255, 255, 255)) * width
    noise = random.Random(width).randbytes(3 * width)
    return png_of_rows(width, height, lambda y: noise if y % every == 0 else line, level=6)


def photo_jpeg(size: tuple[int, int], **options) -> bytes:
    """A photo's worth of bytes (about 4 pixels a byte, as from a phone): a smooth scene under
    sensor noise."""
    rnd = random.Random(size[0])
    width, height = size
    scene = Image.linear_gradient("L")
    bands = [
        Image.blend(
            scene.rotate(90 * i).resize(size),
            Image.frombytes("L", size, rnd.randbytes(width * height)),
            0.15,
        )
        for i in range(3)
    ]
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=options.pop("quality", 85), **options)
    return out.getvalue()


def noisy(mode: str, size=(97, 61), seed: int = 1) -> Image.Image:
    """A picture that exercises every PNG row filter: smooth areas under noise."""
    rnd = random.Random(seed)
    width, height = size
    smooth = Image.frombytes("RGBA", (9, 7), rnd.randbytes(9 * 7 * 4)).resize(size)
    grain = Image.frombytes("RGBA", size, rnd.randbytes(width * height * 4))
    picture = Image.blend(smooth, grain, 0.3)
    if mode == "P":
        return picture.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
    if mode == "I;16":
        return picture.convert("L").convert("I").point(lambda v: v * 200).convert("I;16")
    return picture.convert(mode)


def png_bytes(picture: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG", **options)
    return out.getvalue()


def stored_image(checked) -> Image.Image:
    return Image.open(io.BytesIO(checked.content))


def growth_mb(work) -> float:
    """Run ``work``; return how far the process's resident memory rose above where it was, at
    its highest (the kernel's high-water mark, reset first; Linux, as the portal runs on)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")

    def status(name: str) -> int:
        with open("/proc/self/status") as file:
            return int(re.search(rf"{name}:\s+(\d+) kB", file.read()).group(1))

    before = status("VmRSS")
    work()
    return (status("VmHWM") - before) / 1024


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _no_uploads_counted():
    cache.clear()  # the upload limits count in the cache
    yield
    cache.clear()


@pytest.fixture
def case(file_case, mallory):
    """A complaint by alice that Acme acknowledged: both may post, so both may attach."""
    filed = file_case()
    return services.case_acknowledge(case=filed, actor=mallory, now=at(2026, 3, 3, 9))


def add(case, actor, content: bytes, name: str = "photo.png"):
    return services.evidence_add(case=case, actor=actor, file=upload(content, name), now=NOW)


def attach_url(case, action: str = "add_evidence") -> str:
    return reverse("cases:act", args=[case.number, action])


# --- The image of the issue --------------------------------------------------------------------


def test_the_issue_image_is_refused_from_its_header_and_costs_no_memory():
    bomb = solid_png(ISSUE_SIDE, ISSUE_SIDE)
    assert len(bomb) < 300_000  # under 300 KB for 60 megapixels
    refused = []

    def check():
        with pytest.raises(ValidationFailed) as error:
            check_evidence_file(upload(bomb, "bomb.png"))
        refused.append(error.value)

    # Decoded, it took about 700 MB (three full copies of 240 MB); refused from the header, none.
    assert growth_mb(check) < 20
    [error] = refused
    assert (error.code, error.field) == ("image_too_large", "file")
    assert "40" in error.message  # the limit, in megapixels


def test_the_issue_image_is_refused_beside_the_file_field_on_the_page(client, case, alice):
    sign_in(client, alice)
    response = client.post(
        attach_url(case),
        {"add_evidence-file": upload(solid_png(ISSUE_SIDE, ISSUE_SIDE), "bomb.png")},
    )
    assert response.status_code == 422
    errors = response.context["side"]["forms"][Action.ADD_EVIDENCE].errors
    assert list(errors) == ["file"]
    assert "megapixels" in errors["file"][0] or "百万像素" in errors["file"][0]
    assert not Evidence.objects.exists()


# --- Asking the engine first -------------------------------------------------------------------
#
# Each file below is one the check refuses for its pixels (900 megapixels, ever since the check
# existed): the answer being the engine's refusal shows that the file was never looked at.


@functools.cache
def refused_for_pixels() -> bytes:
    return bomb_png()


def test_a_closed_case_refuses_an_image_without_reading_it(case, alice, media_root):
    # The caller's copy of the case still says "negotiating": the check reads the case afresh.
    services.case_withdraw(case=case, actor=alice, now=NOW)
    with pytest.raises(ActionNotAllowed) as refused:
        add(case, alice, refused_for_pixels())
    assert refused.value.code == "action_not_available"
    assert not any(media_root.rglob("*.*"))


@pytest.mark.parametrize("persona", ["bob", "trent", "yves"])
def test_someone_who_is_no_party_is_refused_without_the_image_being_read(case, persona, request):
    with pytest.raises(ActionNotAllowed) as refused:
        add(case, request.getfixturevalue(persona), refused_for_pixels())
    assert refused.value.code == "not_your_case"


def test_the_page_refuses_an_upload_to_a_closed_case_with_the_reason_not_the_pixels(
    client, case, alice
):
    services.case_withdraw(case=case, actor=alice, now=NOW)
    sign_in(client, alice)
    response = client.post(
        attach_url(case),
        {"add_evidence-file": upload(refused_for_pixels(), "bomb.png")},
    )
    assert response.status_code == 422
    refused = response.context["side"]["refused"]
    assert refused is not None
    messages = " ".join(str(m) for m in refused.errors.get("__all__", []))
    assert messages and "megapixels" not in messages and "百万像素" not in messages


@pytest.fixture
def settled(case, alice, mallory):
    """Agreed, fulfilment not yet claimed: a report of non-fulfilment is not possible yet."""
    offer(case, mallory, at(2026, 3, 3, 11))
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 3, 12))
    return Case.objects.get(pk=case.pk)


def test_a_breach_report_not_possible_yet_refuses_its_file_unread_on_the_page(
    client, settled, alice
):
    sign_in(client, alice)
    response = client.post(
        attach_url(settled, "report_breach"),
        {
            "report_breach-description": "没有退款",
            "report_breach-file": upload(refused_for_pixels(), "bomb.png"),
        },
    )
    assert response.status_code == 422
    form = response.context["side"]["refused"]
    assert form is not None and "file" not in form.errors
    assert not Evidence.objects.exists()


def test_a_breach_report_not_possible_yet_refuses_its_file_unread_through_the_api(settled, alice):
    client = APIClient()
    sign_in(client, alice)
    response = client.post(
        f"/api/v1/cases/{settled.number}/actions/report_breach/",
        {"description": "没有退款", "file": upload(refused_for_pixels(), "b.png")},
        format="multipart",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "action_not_available"


def test_a_filing_refused_for_its_number_reads_none_of_its_files(file_case):
    taken = file_case(number="20260303-TAKEN001")
    with pytest.raises(ValidationFailed) as refused:
        file_case(number=taken.number, evidence=[upload(refused_for_pixels(), "b")])
    assert refused.value.code == "duplicate"


# --- Pixels for the bytes ----------------------------------------------------------------------


def test_an_image_declaring_many_pixels_in_few_bytes_is_refused(settings):
    # 20 megapixels: under the limit, over what is stored; about 20 KB, where a genuine photo or
    # screenshot of that size brings hundreds of kilobytes at least.
    assert settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS < 5000 * 4000
    sparse = solid_png(5000, 4000)
    assert len(sparse) < 5000 * 4000 / settings.ODR_EVIDENCE_MAX_PIXELS_PER_BYTE
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(sparse, "shot.png"))
    assert (refused.value.code, refused.value.field) == ("image_too_sparse", "file")
    assert "20" in refused.value.message


def test_the_same_size_with_the_bytes_of_a_screenshot_is_accepted_and_stored_halved():
    shot = striped_png(5000, 4000, every=100)  # 40 rows of noise: about 600 KB
    checked = check_evidence_file(upload(shot, "long-screenshot.png"))
    assert stored_image(checked).size == (2500, 2000)


def test_a_blank_image_no_larger_than_what_is_stored_is_never_refused_for_its_bytes(settings):
    blank = solid_png(3000, 3000)  # 9 megapixels, a few KB: an empty screenshot
    assert settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS >= 3000 * 3000
    assert stored_image(check_evidence_file(upload(blank, "blank.png"))).size == (3000, 3000)


# --- Stored reduced, decoded at that size ------------------------------------------------------


def test_a_large_photo_is_accepted_stored_reduced_upright_and_without_exif(settings):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    exif[ExifTags.Base.Make] = "PhoneMaker"
    photo = photo_jpeg((4608, 3456), exif=exif.tobytes())  # a 16-megapixel phone photo
    assert settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS < 4608 * 3456
    checked = check_evidence_file(upload(photo, "IMG_0001.jpg"))
    stored = stored_image(checked)
    assert (stored.format, stored.size) == ("JPEG", (1728, 2304))  # halved, and upright
    assert dict(stored.getexif()) == {} and b"PhoneMaker" not in checked.content


def test_a_large_photo_attached_on_the_page_is_stored_reduced(client, case, alice):
    sign_in(client, alice)
    response = client.post(
        attach_url(case), {"add_evidence-file": upload(photo_jpeg((4608, 3456)), "a.jpg")}
    )
    assert response.status_code == 302
    stored = Image.open(Evidence.objects.get().file.open("rb"))
    assert stored.size == (2304, 1728)


def test_a_photo_as_phones_save_them_by_default_is_kept_at_its_size():
    photo = photo_jpeg((4032, 3024))  # 12.2 megapixels
    assert stored_image(check_evidence_file(upload(photo, "a.jpg"))).size == (4032, 3024)


def test_a_40_megapixel_png_is_accepted_within_150_mb():
    shot = striped_png(7300, 5475, every=250)  # 40 megapixels, about 500 KB
    accepted = []

    def check():
        accepted.append(check_evidence_file(upload(shot, "shot.png")))

    # Decoded whole it took about 470 MB; a strip at a time, about 50 MB.
    assert growth_mb(check) < 150
    assert stored_image(accepted[0]).size == (3650, 2738)


PNGS = {
    "grey": lambda: png_bytes(noisy("L")),
    "rgb": lambda: png_bytes(noisy("RGB")),
    "palette": lambda: png_bytes(noisy("P")),
    "grey_alpha": lambda: png_bytes(noisy("LA")),
    "rgba": lambda: png_bytes(noisy("RGBA")),
    "grey_trns": lambda: png_bytes(noisy("L"), transparency=17),
    "rgb_trns": lambda: png_bytes(noisy("RGB"), transparency=(1, 2, 3)),
    "palette_trns": lambda: png_bytes(noisy("P"), transparency=5),
    # Decoded whole (not 8 bits a sample):
    "one_bit": lambda: png_bytes(noisy("L").convert("1")),
    "palette_4_bits": lambda: png_bytes(noisy("RGB").quantize(16), bits=4),
    "grey_16_bits": lambda: png_bytes(noisy("I;16")),
    "solid_rgb": lambda: png_bytes(Image.new("RGB", (300, 200), (9, 8, 7))),
}


@pytest.mark.parametrize("stored", [10**9, 1500, 400])
@pytest.mark.parametrize("strip_bytes", [1, 700])
@pytest.mark.parametrize("label", PNGS)
def test_a_png_decoded_in_strips_is_pixel_for_pixel_what_pillow_decodes_whole(
    settings, monkeypatch, label, strip_bytes, stored
):
    # Strips of one row (or of the reduction's few) and of a few: every strip boundary meets
    # every kind of row filter.
    monkeypatch.setattr(evidence, "STRIP_BYTES", strip_bytes)
    settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS = stored
    settings.ODR_EVIDENCE_MAX_PIXELS_PER_BYTE = 10**6
    data = PNGS[label]()
    whole = Image.open(io.BytesIO(data))
    whole.load()
    if whole.has_transparency_data:
        expected = whole.convert("RGBA")
    else:
        expected = whole.convert("L" if whole.mode == "L" else "RGB")
    factor = 1
    while whole.width * whole.height > stored * factor * factor:
        factor += 1
    if factor > 1:
        expected = expected.reduce(factor)
    got = stored_image(check_evidence_file(upload(data, "a.png")))
    assert (got.mode, got.size) == (expected.mode, expected.size)
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_a_jpeg_is_decoded_at_a_reduced_scale_when_it_is_stored_reduced(settings, mode):
    settings.ODR_EVIDENCE_STORED_IMAGE_PIXELS = 200_000
    picture = Image.open(io.BytesIO(photo_jpeg((800, 600)))).convert(mode)
    out = io.BytesIO()
    picture.save(out, "JPEG")
    stored = stored_image(check_evidence_file(upload(out.getvalue(), "a.jpg")))
    assert (stored.mode, stored.size) == ("L" if mode == "L" else "RGB", (400, 300))


def test_a_truncated_png_is_refused_as_unreadable():
    data = png_bytes(noisy("RGB", (200, 150)))
    cut = data[: len(data) // 2] + data[-12:]  # half its image data, then IEND
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(cut, "cut.png"))
    assert refused.value.code == "image_unreadable"


# --- Decodings that cost too much --------------------------------------------------------------


def test_a_progressive_jpeg_whose_decoding_costs_too_much_is_refused(monkeypatch):
    # A progressive JPEG is decoded from the coefficients of the whole image (two bytes each of
    # 64 a block): 800 × 600 at 4:2:0 holds 1.4 MB of them besides its 1.9 MB picture.
    monkeypatch.setattr(evidence, "DECODE_BUDGET", 2 * 1024 * 1024)
    baseline = photo_jpeg((800, 600))
    progressive = photo_jpeg((800, 600), progressive=True)
    assert stored_image(check_evidence_file(upload(baseline, "a.jpg"))).size == (800, 600)
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(progressive, "a.jpg"))
    assert (refused.value.code, refused.value.field) == ("image_too_large", "file")
    assert "JPEG" in refused.value.message


def test_a_jpeg_of_too_many_scans_is_refused(monkeypatch):
    monkeypatch.setattr(evidence, "JPEG_MAX_SCANS", 3)  # Pillow's progressive JPEG has more
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(photo_jpeg((200, 150), progressive=True), "a.jpg"))
    assert refused.value.code == "image_too_large"


def test_a_png_decoded_whole_is_refused_when_that_costs_too_much(monkeypatch):
    # 16 bits a sample: not decoded in strips, so its whole picture counts.
    monkeypatch.setattr(evidence, "DECODE_BUDGET", 20_000)
    small = png_bytes(noisy("I;16", (60, 40)))  # 2 bytes a pixel, and 4 more once RGB: 14 KB
    large = png_bytes(noisy("I;16", (100, 60)))  # 36 KB
    check_evidence_file(upload(small, "a.png"))
    with pytest.raises(ValidationFailed) as refused:
        check_evidence_file(upload(large, "a.png"))
    assert refused.value.code == "image_too_large"


# --- Uploads per person ------------------------------------------------------------------------


def test_the_page_limits_the_files_one_person_attaches(client, case, alice, mallory, settings):
    settings.ODR_RATE_LIMIT_EVIDENCE = "2/m/user"
    sign_in(client, alice)
    for n in range(2):
        response = client.post(
            attach_url(case), {"add_evidence-file": upload(image_bytes("PNG"), f"{n}.png")}
        )
        assert response.status_code == 302
    response = client.post(
        attach_url(case),
        {"add_evidence-file": upload(image_bytes("PNG"), "3.png"), "add_evidence-description": "x"},
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    errors = response.context["side"]["forms"][Action.ADD_EVIDENCE].errors
    assert list(errors) == ["file"]
    assert Evidence.objects.count() == 2
    # The limit is the person's: the merchant still attaches.
    client.logout()
    sign_in(client, mallory)
    response = client.post(
        attach_url(case), {"add_evidence-file": upload(image_bytes("PNG"), "m.png")}
    )
    assert response.status_code == 302


def test_an_upload_refused_by_the_engine_does_not_count(
    client, case, file_case, alice, mallory, settings
):
    settings.ODR_RATE_LIMIT_EVIDENCE = "1/m/user"
    services.case_withdraw(case=case, actor=alice, now=NOW)
    other = services.case_acknowledge(case=file_case(), actor=mallory, now=NOW)
    sign_in(client, alice)
    refused = client.post(attach_url(case), {"add_evidence-file": upload(image_bytes(), "a.png")})
    assert refused.status_code == 422
    accepted = client.post(attach_url(other), {"add_evidence-file": upload(image_bytes(), "b.png")})
    assert accepted.status_code == 302


def test_the_filing_form_limits_the_files_one_person_sends(client, alice, acme, offices, settings):
    settings.ODR_RATE_LIMIT_EVIDENCE = "2/m/user"
    sign_in(client, alice)
    # More files at once than the limit allows at all: said beside the files, nothing filed.
    response = file_against(
        client,
        {"merchant": acme.pk},
        files={"confirm-files": [upload(image_bytes(), f"{n}.png") for n in range(3)]},
    )
    assert response.status_code == 200
    assert "files" in response.context["form"].errors
    assert not Case.objects.exists()
    # Two files are read (one refused), which uses the allowance up ...
    response = step(
        client, "confirm", {}, {"confirm-files": [upload(image_bytes(), "a.png"), upload(ELF, "b")]}
    )
    assert response.status_code == 200 and "files" in response.context["form"].errors
    # ... so the next file is refused unread, answered 429, and the complaint is not filed.
    response = step(
        client,
        "confirm",
        {"consent_disclosure": "on"},
        {"confirm-files": [upload(solid_png(ISSUE_SIDE, ISSUE_SIDE), "bomb.png")]},
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    form = response.context["form"]
    assert list(form.errors) == ["files"] and "megapixels" not in str(form.errors)
    assert form["consent_disclosure"].value() is True
    assert not Case.objects.exists()
    # Without files the complaint is filed.
    assert step(client, "confirm", {}).status_code == 302
    assert Case.objects.count() == 1
