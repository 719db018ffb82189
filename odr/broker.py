"""The Celery broker of the embedded default: kombu's file-system transport, made safe for the
processes of ``make run`` (web, worker and beat) sharing one folder.

kombu's own file-system transport races between processes (its issue 1551): a message file is
created empty and then written, so a reader that lists the folder in between reads nothing and
the worker dies of ``JSONDecodeError``; the tables of exchange bindings are truncated before they
are locked, with the same result for anyone reading them then. Here every file is written whole
under a name no reader looks at and then renamed into place (``os.replace`` is atomic within one
file system), so a reader sees a complete file or none; a message is claimed by renaming it out
of the queue folder, which exactly one reader can do; the binding tables are changed under one
lock and replaced whole. A file that cannot be read anyway (a disk fault) is set aside and
logged, never allowed to stop the worker.

The settings use this transport for ``filesystem://`` (``CELERY_BROKER_TRANSPORT``), with the
worker's remote control, gossip, mingle and events off: the only reader of the task queue is the
one worker, and nothing fans out (README, "Running it").
"""

import fcntl
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import monotonic

from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

Empty = filesystem.Empty
exchange_queue_t = filesystem.exchange_queue_t


def write_atomically(path: Path, data: bytes, staging: Path) -> None:
    """Write ``data`` to ``path`` so that nobody can see the file half-written."""
    partial = staging / f"{uuid.uuid4().hex}.partial"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder):
            Path(folder).mkdir(parents=True, exist_ok=True)

    @property
    def _broker_root(self) -> Path:
        return Path(self.data_folder_out).parent

    def _folder(self, option: str, name: str) -> Path:
        folder = Path(self.transport_options.get(option) or self._broker_root / name)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def staging_folder(self) -> Path:
        """Where files are written before they are renamed into place (same file system)."""
        return self._folder("staging_folder", "staging")

    @property
    def claimed_folder(self) -> Path:
        """Where a reader moves the message it claimed while it reads it."""
        return self._folder("claimed_folder", "claimed")

    @property
    def unreadable_folder(self) -> Path:
        return self._folder("unreadable_folder", "unreadable")

    # --- Messages ------------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        # Zero-padded milliseconds first: the folder sorts in the order messages were sent.
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        write_atomically(
            Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)), self.staging_folder
        )

    def _get(self, queue):
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = self.claimed_folder / name
            try:
                os.replace(folder / name, claimed)
            except FileNotFoundError:
                continue  # another reader claimed it first
            data = claimed.read_bytes()
            try:
                payload = loads(bytes_to_str(data))
            except ValueError:
                os.replace(claimed, self.unreadable_folder / name)
                logger.error(
                    "Broker message %s could not be read; set aside in %s",
                    name,
                    self.unreadable_folder,
                )
                continue
            claimed.unlink()
            return payload
        raise Empty()

    # --- Bindings ------------------------------------------------------------------------------

    @contextmanager
    def _bindings_locked(self) -> Iterator[None]:
        """Hold the one lock under which binding tables are read to be changed."""
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with open(self.control_folder / "bindings.lock", "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def get_table(self, exchange):
        try:
            data = self._exchange_file(exchange).read_bytes()
        except FileNotFoundError:
            return []
        return [exchange_queue_t(*q) for q in loads(bytes_to_str(data))]

    def _table_write(self, exchange, queues) -> None:
        write_atomically(
            self._exchange_file(exchange), str_to_bytes(dumps(queues)), self.staging_folder
        )

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._bindings_locked():
            queues = self.get_table(exchange)
            if binding not in queues:
                self._table_write(exchange, [binding, *queues])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # The virtual channel forgets the queue; the table on disk is changed here, not by the
        # file-system channel's own (truncating) code.
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._bindings_locked():
            queues = self.get_table(exchange)
            if binding in queues:
                self._table_write(exchange, [q for q in queues if q != binding])


class Transport(filesystem.Transport):
    Channel = Channel
