"""Per-process copies of the few rows that nearly every request reads and admins rarely change
(the deadline policy, the working-day calendar, the office of each region): filing a complaint
or acting on a case reads them without a query.

A copy is reloaded when its models change: saving or deleting one of their rows drops this
process's copy at once and, once the transaction commits, bumps a version in the shared cache
(``CACHE_URL``), which every other process compares with its own at most every ``check_every``
seconds (one cache read per process and second, not one per request: another process sees the
change within a second). A copy never lives longer than ``max_age`` seconds either, which bounds
how long a process can miss a change the shared cache did not carry: a per-process cache (the
local-memory default), an update that sends no signals (``QuerySet.update``), a saved row whose
transaction was rolled back, or a cache outage.
"""

import logging
import secrets
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

T = TypeVar("T")
_copies: list["ProcessCopy"] = []


class ProcessCopy(Generic[T]):
    def __init__(
        self,
        name: str,
        load: Callable[[], T],
        *,
        max_age: float = 60.0,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = f"odr:copy-version:{name}"
        self.load, self.max_age, self.check_every, self.clock = load, max_age, check_every, clock
        self._value: T | None = None
        self._version: str | None = None
        self._loaded_at = self._checked_at = 0.0
        _copies.append(self)

    def get(self) -> T:
        now = self.clock()
        fresh = now - self._loaded_at < self.max_age
        if self._value is not None and fresh and now - self._checked_at < self.check_every:
            return self._value
        version, self._checked_at = self._shared_version(), now
        if self._value is None or not fresh or version != self._version:
            # The version is read before the rows: a change committed in between bumps it again.
            self._value, self._version = self.load(), version
            self._loaded_at = now
        return self._value

    def forget(self) -> None:
        """Drop this process's copy; the next ``get`` loads the rows."""
        self._value = None

    def watch(self, *models) -> None:
        """Reload when a row of any of ``models`` is saved or deleted."""
        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(self._changed, sender=model, dispatch_uid=f"{self.key}:{model}")

    def _changed(self, **kwargs) -> None:
        self.forget()
        transaction.on_commit(self._bump, robust=True)

    def _bump(self) -> None:
        self.forget()
        try:
            cache.set(self.key, secrets.token_hex(8), None)
        except Exception as error:  # the cache is down: other processes reload within max_age
            logger.warning("copy version of %s not shared (%s)", self.key, error)

    def _shared_version(self) -> str | None:
        try:
            return cache.get(self.key)
        except Exception:  # a cache outage must not stop the request: max_age still applies
            return self._version


def forget_all() -> None:
    """Drop every process copy (tests start from the database)."""
    for copy in _copies:
        copy.forget()
