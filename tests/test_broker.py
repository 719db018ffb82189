"""The embedded default's broker (odr/broker.py): several processes writing and reading one
broker folder at once lose nothing, deliver nothing twice and never read a half-written file.

These are real processes on the real file system, as in ``make run`` (web and beat publish, the
worker consumes), with more of each than ``make run`` has so that any window shows.
"""

import multiprocessing
from pathlib import Path

from kombu import Connection, Exchange, Queue

WRITERS = 4
READERS = 3
MESSAGES_PER_WRITER = 300
BINDINGS_PER_WRITER = 25


def connection(root: str) -> Connection:
    root_path = Path(root)
    return Connection(
        "filesystem://",
        transport="odr.broker:Transport",
        transport_options={
            "data_folder_in": str(root_path / "queue"),
            "data_folder_out": str(root_path / "queue"),
            "control_folder": str(root_path / "control"),
        },
    )


def write(root: str, writer: int, failures) -> None:
    try:
        with connection(root) as conn:
            channel = conn.channel()
            # Bindings added at the same time as the other writers add theirs.
            shared = Exchange("shared", type="direct")
            for n in range(BINDINGS_PER_WRITER):
                Queue(f"w{writer}-q{n}", shared, routing_key=f"w{writer}-q{n}")(channel).declare()
            queue = conn.SimpleQueue("work")
            for n in range(MESSAGES_PER_WRITER):
                queue.put({"writer": writer, "n": n})
            queue.close()
    except Exception as error:  # reported to the test, which fails with it
        failures.put(f"writer {writer}: {error!r}")


def read(root: str, reader: int, received, failures, stop) -> None:
    try:
        with connection(root) as conn:
            queue = conn.SimpleQueue("work")
            while not stop.is_set():
                try:
                    message = queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                received.put((message.payload["writer"], message.payload["n"]))
                message.ack()
            queue.close()
    except Exception as error:
        failures.put(f"reader {reader}: {error!r}")


def test_concurrent_writers_and_readers_deliver_every_message_exactly_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    received, failures, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    root = str(tmp_path)
    readers = [
        ctx.Process(target=read, args=(root, r, received, failures, stop)) for r in range(READERS)
    ]
    writers = [ctx.Process(target=write, args=(root, w, failures)) for w in range(WRITERS)]
    for process in readers + writers:
        process.start()

    expected = WRITERS * MESSAGES_PER_WRITER
    seen = [received.get(timeout=60) for _ in range(expected)]
    for process in writers:
        process.join(timeout=60)
    stop.set()
    for process in readers:
        process.join(timeout=60)

    problems = []
    while not failures.empty():
        problems.append(failures.get())
    assert problems == []
    assert received.empty(), "a message was delivered more than once"
    assert sorted(seen) == [(w, n) for w in range(WRITERS) for n in range(MESSAGES_PER_WRITER)]
    # Nothing left half-way: no message unclaimed, claimed and unread, set aside or half-written.
    for folder in ("queue", "claimed", "unreadable", "staging"):
        leftovers = [p.name for p in (tmp_path / folder).glob("*") if p.suffix != ".exchange"]
        assert leftovers == [], folder


def test_bindings_added_at_once_are_all_kept(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    failures = ctx.Queue()
    writers = [ctx.Process(target=write, args=(str(tmp_path), w, failures)) for w in range(4)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
    assert failures.empty()

    with connection(str(tmp_path)) as conn:
        table = conn.channel().get_table("shared")
    assert sorted(q.queue for q in table) == sorted(
        f"w{w}-q{n}" for w in range(4) for n in range(BINDINGS_PER_WRITER)
    )


def test_an_unreadable_message_is_set_aside_and_the_next_one_delivered(tmp_path, caplog):
    with connection(str(tmp_path)) as conn:
        queue = conn.SimpleQueue("work")
        # A file the disk left empty, sorted before a good message.
        (tmp_path / "queue" / f"{0:015d}_broken.work.msg").write_bytes(b"")
        queue.put({"ok": True})
        message = queue.get(timeout=2)
        message.ack()
        queue.close()
    assert message.payload == {"ok": True}
    assert [p.name for p in (tmp_path / "unreadable").iterdir()] == [f"{0:015d}_broken.work.msg"]
    assert "could not be read" in caplog.text
