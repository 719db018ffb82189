"""What one evidence image costs a web worker, and whether the site still answers while four are
being checked (issue 23, item 4: "One image costs 700 MB").

Starts gunicorn (``odr.wsgi``, sync workers, as deployed: README, "Production deployment") on a
scratch PostgreSQL database of its own, signs a consumer in, and uploads images through the case
page (``/cases/<number>/act/add_evidence/``, multipart, as the browser sends them):

- hostile: the image of the issue (7,745 × 7,745 pixels of one colour, about 190 KB), a 60 MP
  PNG with a screenshot's worth of bytes, a 40 MP progressive JPEG;
- genuine: a 40 MP JPEG photo, a 12 MP phone photo (portrait: its pixels turned by the EXIF
  orientation), a phone screenshot (PNG), a long screenshot (1080 × 16,000 PNG).

For each kind it measures, in a fresh one-worker gunicorn warmed up by a small upload first, the
worker's peak resident memory during the upload above its resident memory before it (VmHWM, reset
through /proc/<pid>/clear_refs, against VmRSS), the worker's CPU time and the answer; then, with
--workers workers, four uploads of that kind kept in flight at once for --seconds while /healthz
is asked every 0.2 s: the latency of /healthz and the workers' peak memory.

    .venv/bin/python bench/upload_bench.py                  # this checkout
    .venv/bin/python bench/upload_bench.py --tree /tmp/old  # the code of another checkout

``--tree`` serves the portal from another folder on the same database, e.g. the code before this
change (``git archive <commit> | tar -x -C /tmp/old``), to measure it the same way. Evidence
limits that would stop a long run are lifted for the run (the per-person upload limit and the
per-case total); every file is still checked. Timings are for this machine only.

Only 127.0.0.1 is contacted; the only database written is odr_bench_uploads.
"""

import argparse
import http.client
import io
import json
import os
import random
import re
import shutil
import statistics
import struct
import sys
import threading
import time
import uuid
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Client, Gunicorn, database_url, machine, recreate_database, say

DATABASE = "odr_bench_uploads"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/odr-bench-uploads"))
PORT = 8711
SERVER_ENV = {
    "DATABASE_URL": database_url(DATABASE),
    "ODR_DATA_DIR": str(DATA_DIR),
    "MEDIA_ROOT": str(DATA_DIR / "media"),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
    "CACHE_URL": "locmemcache://",
    "SECURE_COOKIES": "0",
    "DEBUG": "0",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "60",
    # Many uploads by one person to one case: every file is still checked, none is refused for
    # the per-person limit or the case's total.
    "ODR_RATE_LIMIT_EVIDENCE": "",
    "ODR_EVIDENCE_MAX_CASE_BYTES": str(10**12),
}
os.environ.update(SERVER_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "odr.settings"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from PIL import ExifTags, Image, ImageDraw, ImageFont  # noqa: E402

from accounts.models import User  # noqa: E402
from cases import services  # noqa: E402
from cases.models import Evidence  # noqa: E402
from consumers.models import ConsumerProfile  # noqa: E402
from merchants.models import Merchant, MerchantMembership  # noqa: E402
from regulators.models import Office  # noqa: E402

# --- The images --------------------------------------------------------------------------------


def _png_of_rows(width: int, height: int, row, level: int = 9) -> bytes:
    """An 8-bit RGB PNG whose row ``y`` holds ``row(y)``, deflated as it is made."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    deflate = zlib.compressobj(level)
    idat = b"".join(deflate.compress(b"\0" + row(y)) for y in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def issue_png() -> bytes:
    line = bytes((200, 30, 30)) * 7745
    return _png_of_rows(7745, 7745, lambda y: line)


def striped_png_60mp() -> bytes:
    """60 MP with a screenshot's worth of bytes: white, a row of noise every 200 rows."""
    width = height = 7745
    line = bytes((255, 255, 255)) * width
    noise = random.Random(7).randbytes(3 * width)
    return _png_of_rows(width, height, lambda y: noise if y % 200 == 0 else line, level=6)


def _photo(size: tuple[int, int]) -> Image.Image:
    """A smooth scene under sensor noise: compresses as a phone photo does (3–4 pixels a byte
    at quality 85)."""
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
    return Image.merge("RGB", bands)


def _jpeg(picture: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", **options)
    return out.getvalue()


def photo_40mp() -> bytes:
    return _jpeg(_photo((7296, 5472)), quality=75)


def progressive_40mp() -> bytes:
    return _jpeg(_photo((7296, 5472)), quality=75, progressive=True)


def phone_photo_12mp() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held sideways: the stored picture is turned upright
    exif[ExifTags.Base.Make] = "PhoneMaker"
    return _jpeg(_photo((4032, 3024)), quality=90, exif=exif.tobytes())


def _screenshot(size: tuple[int, int]) -> bytes:
    """A chat app: bubbles of text on a light background, a status bar, a keyboard-less view."""
    rnd = random.Random(size[1])
    width, height = size
    picture = Image.new("RGB", size, (237, 237, 237))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(12, width // 30))
    draw.rectangle((0, 0, width, 140), fill=(247, 247, 247))
    draw.text((width // 2 - 120, 60), "Merchant support", fill=(20, 20, 20), font=font)
    words = ["order", "refund", "parcel", "broken", "screen", "receipt", "please", "return"]
    words += ["days", "sent", "paid", "yuan"]
    top = 180
    while top < height - 200:
        lines = rnd.randint(1, 4)
        mine = rnd.random() < 0.5
        bubble_w = rnd.randint(width // 3, width * 3 // 4)
        left = width - bubble_w - 140 if mine else 140
        bottom = top + 30 + lines * (font.size + 14)
        draw.rounded_rectangle(
            (left, top, left + bubble_w, bottom),
            radius=18,
            fill=(149, 236, 105) if mine else (255, 255, 255),
        )
        for n in range(lines):
            text = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 7)))
            draw.text((left + 24, top + 18 + n * (font.size + 14)), text, fill=(0, 0, 0), font=font)
        avatar = (width - 120, top, width - 30, top + 90) if mine else (30, top, 120, top + 90)
        draw.rectangle(avatar, fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
        top = bottom + 40
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def phone_screenshot() -> bytes:
    return _screenshot((1170, 2532))


def long_screenshot() -> bytes:
    return _screenshot((1080, 16000))


KINDS = [
    # (name, what it is, how it is made, its file name)
    ("issue_png", "the issue's PNG: 7,745² of one colour (60 MP)", issue_png, "a.png"),
    ("png_60mp", "PNG, 60 MP, white with rows of noise", striped_png_60mp, "b.png"),
    ("jpeg_40mp_progressive", "progressive JPEG photo, 40 MP", progressive_40mp, "c.jpg"),
    ("jpeg_40mp", "JPEG photo, 40 MP", photo_40mp, "d.jpg"),
    ("jpeg_12mp_portrait", "JPEG phone photo, 12 MP, EXIF-rotated", phone_photo_12mp, "e.jpg"),
    ("png_screenshot", "PNG phone screenshot, 1170 × 2532", phone_screenshot, "f.png"),
    ("png_long_screenshot", "PNG long screenshot, 1080 × 16,000", long_screenshot, "g.png"),
]


def image_files() -> dict[str, bytes]:
    """Every image, made once and kept under BENCH_DATA_DIR/images."""
    folder = DATA_DIR / "images"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, _what, make, filename in KINDS:
        path = folder / f"{name}{Path(filename).suffix}"
        if not path.exists():
            say(f"making {name} ...")
            path.write_bytes(make())
        files[name] = path.read_bytes()
    return files


def pixels_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --- The portal --------------------------------------------------------------------------------


def prepare() -> tuple[str, str]:
    """A fresh database with a consumer's case the merchant acknowledged; return the case number
    and a signed-in session of the consumer."""
    recreate_database(DATABASE)
    shutil.rmtree(DATA_DIR / "media", ignore_errors=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    national = Office.objects.create(name="国家市场监督管理总局", region_code="000000", level=0)
    shanxi = Office.objects.create(
        name="山西省市场监管局", region_code="140000", level=1, parent=national
    )
    taiyuan = Office.objects.create(
        name="太原市市场监管局", region_code="140100", level=2, parent=shanxi
    )
    Office.objects.create(name="小店区市场监管局", region_code="140105", level=3, parent=taiyuan)
    merchant = Merchant.objects.create(
        name="爱克美商贸有限公司",
        credit_code="91140105MA0L7XQ20X",
        region_code="140105",
        address="太原市小店区",
        industry="retail",
        odr_status=Merchant.OdrStatus.ACTIVE,
    )
    owner = User.objects.create(email="owner@bench.invalid", name="商户")
    MerchantMembership.objects.create(
        user=owner, merchant=merchant, role=MerchantMembership.Role.OWNER
    )
    consumer = User.objects.create(email="alice@bench.invalid", name="王爱丽", phone="13812341234")
    ConsumerProfile.objects.create(user=consumer)
    case = services.case_file(
        consumer=consumer, merchant=merchant, subject="耳机", facts="无法开机。", claim="退款"
    )
    services.case_acknowledge(case=case, actor=owner)
    session = SessionStore()
    session["_auth_user_id"] = str(consumer.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = consumer.get_session_auth_hash()
    session.create()
    connections.close_all()
    return case.number, session.session_key


def signed_in(number: str, session_key: str) -> Client:
    client = Client(PORT, {settings.SESSION_COOKIE_NAME: session_key})
    page = client.get(f"/cases/{number}/")
    if page.status != 200:
        raise SystemExit(f"the case page answered {page.status}")
    return client


FILE_ERROR = re.compile(r'id="id_add_evidence-file-error">([^<]*)<')


def upload(client: Client, number: str, name: str, content: bytes) -> tuple[int, str, float]:
    """Attach ``content`` on the case page; return the status, the refusal said beside the file
    (if any) and the seconds it took."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="add_evidence-file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    path = f"/cases/{number}/act/add_evidence/"
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-CSRFToken": client.csrf_token,
        "Referer": f"http://127.0.0.1:{PORT}{path}",
        "Accept-Language": "en",
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
    }
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    elapsed = time.perf_counter() - started
    connection.close()
    found = FILE_ERROR.search(text)
    return response.status, (found.group(1).strip() if found else ""), elapsed


def server(tree: Path, workers: int, log: str) -> Gunicorn:
    return Gunicorn(
        ROOT / ".venv" / "bin" / "python",
        "odr.wsgi",
        PORT,
        workers=workers,
        env=SERVER_ENV,
        cwd=tree,
        log=DATA_DIR / f"gunicorn-{log}.log",
    )


def workers_of(master: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            found = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            found = []
        if found:
            return [int(pid) for pid in found]
        time.sleep(0.2)
    raise RuntimeError("no gunicorn worker")


def status_kb(pid: int, name: str) -> int:
    found = re.search(rf"{name}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) if found else 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- Measurements ------------------------------------------------------------------------------


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def one_upload(tree: Path, number: str, session: str, name: str, filename: str, content: bytes):
    """One upload of ``content`` to a fresh, warmed-up one-worker gunicorn."""
    with server(tree, 1, "single") as gunicorn:
        [worker] = workers_of(gunicorn.process.pid)
        client = signed_in(number, session)
        for warm in range(3):  # everything imported, the first queries made, the heap in use
            status, error, _ = upload(client, number, f"warm{warm}.png", small_png())
            if status != 302:
                raise SystemExit(f"a small upload answered {status}: {error}")
        stored_before = Evidence.objects.count()
        reset_peak(worker)
        rss_before, cpu_before = status_kb(worker, "VmRSS"), cpu_seconds(worker)
        status, error, seconds = upload(client, number, filename, content)
        peak = status_kb(worker, "VmHWM")
        cpu = cpu_seconds(worker) - cpu_before
        stored = None
        if Evidence.objects.count() > stored_before:
            with Evidence.objects.latest("pk").file.open("rb") as file:
                stored = list(Image.open(file).size)
        connections.close_all()
    return {
        "status": status,
        "refused": error,
        "stored_size": stored,
        "growth_mb": round((peak - rss_before) / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "cpu_s": round(cpu, 2),
        "seconds": round(seconds, 2),
    }


def in_flight(tree, number, session, filename, content, *, workers: int, seconds: float) -> dict:
    """Four uploads kept in flight at once for ``seconds``; /healthz asked every 0.2 s."""
    with server(tree, workers, "four") as gunicorn:
        pids = workers_of(gunicorn.process.pid)
        clients = [signed_in(number, session) for _ in range(4)]
        for client in clients:  # every worker warmed up
            upload(client, number, "warm.png", small_png())
        for pid in pids:
            reset_peak(pid)
        stop = time.monotonic() + seconds
        uploads: list[tuple[int, float]] = []
        health: list[tuple[int, float]] = []
        lock = threading.Lock()

        def uploader(client: Client) -> None:
            while time.monotonic() < stop:
                status, _error, took = upload(client, number, filename, content)
                with lock:
                    uploads.append((status, took))

        def monitor() -> None:
            time.sleep(0.5)  # the four uploads under way first
            while time.monotonic() < stop:
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
                started = time.perf_counter()
                connection.request("GET", "/healthz")
                status = connection.getresponse().status
                health.append((status, time.perf_counter() - started))
                connection.close()
                time.sleep(0.2)

        threads = [threading.Thread(target=uploader, args=(c,)) for c in clients]
        threads.append(threading.Thread(target=monitor))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        peaks = [round(status_kb(pid, "VmHWM") / 1024, 1) for pid in pids]
    latencies = sorted(t for _s, t in health)
    return {
        "workers": workers,
        "uploads": len(uploads),
        "upload_statuses": sorted({s for s, _t in uploads}),
        "upload_median_s": round(statistics.median(t for _s, t in uploads), 2),
        "healthz_checks": len(health),
        "healthz_statuses": sorted({s for s, _t in health}),
        "healthz_median_ms": round(statistics.median(latencies) * 1000, 1),
        "healthz_max_ms": round(latencies[-1] * 1000, 1),
        "healthz_over_1s": sum(1 for t in latencies if t > 1),
        "worker_peak_rss_mb": peaks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="serve the code of this folder")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers, four uploads")
    parser.add_argument("--seconds", type=float, default=10, help="of four uploads in flight")
    parser.add_argument("--only", nargs="*", help="these kinds only")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    tree = args.tree.resolve()
    files = image_files()
    number, session = prepare()
    results = {"tree": str(tree), "machine": machine(), "kinds": {}}
    for name, what, _make, filename in KINDS:
        if args.only and name not in args.only:
            continue
        content = files[name]
        width, height = pixels_of(content)
        say(f"{name}: {what}, {len(content) / 1024:,.0f} KB")
        single = one_upload(tree, number, session, name, filename, content)
        say(f"  one upload: {json.dumps(single)}")
        four = in_flight(
            tree, number, session, filename, content, workers=args.workers, seconds=args.seconds
        )
        say(f"  four in flight: {json.dumps(four)}")
        results["kinds"][name] = {
            "what": what,
            "pixels": [width, height],
            "kb": round(len(content) / 1024),
            "one": single,
            "four": four,
        }
    say("")
    say("| image | file | answer | worker growth | worker CPU | /healthz, 4 uploads in flight |")
    say("|---|---:|---|---:|---:|---:|")
    for _name, found in results["kinds"].items():
        one, four = found["one"], found["four"]
        if one["stored_size"]:
            answer = "stored {} × {}".format(*one["stored_size"])
        else:
            answer = f"refused ({one['status']})"
        say(
            f"| {found['what']} | {found['kb']:,} KB | {answer} | {one['growth_mb']} MB "
            f"| {one['cpu_s']} s | median {four['healthz_median_ms']} ms, "
            f"max {four['healthz_max_ms']} ms |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
