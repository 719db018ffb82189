"""The shared cache in Redis, degrading instead of failing when Redis does not answer.

What the portal keeps in the shared cache is rate-limit counting (sign-in, codes sent to phones,
public tracking, the API) and used TOTP codes. None of it may take the site down: while Redis is
unreachable each process keeps its own cache (Django's local-memory cache), so every limit still
counts, per process instead of across them, and every page and API call keeps answering. The
switch is logged once each way and shown on /healthz (``cache_state``); Redis is asked again
every few seconds and used as soon as it answers.
"""

import logging
import threading
import time
from functools import partialmethod

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# How long the process keeps to its own cache before asking Redis again.
RETRY_SECONDS = 5.0
# Connecting to, and each answer from, Redis: a cache that does not answer must not hold a
# request up for long.
SOCKET_TIMEOUT_SECONDS = 0.5
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

_lock = threading.Lock()
_down_since: float | None = None  # monotonic instant this process last found Redis unreachable


def cache_state() -> str:
    """``ok``, or ``degraded`` while this process counts limits in its own memory."""
    return "ok" if _down_since is None else "degraded"


def _mark_down(error: Exception) -> None:
    global _down_since
    with _lock:
        first = _down_since is None
        _down_since = time.monotonic()
    if first:
        logger.error(
            "shared cache unreachable (%s): rate limits now count per process until it answers",
            error,
        )


def _mark_up() -> None:
    global _down_since
    with _lock:
        was_down, _down_since = _down_since is not None, None
    if was_down:
        logger.warning("shared cache answers again: rate limits count across processes again")


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that falls back to a per-process local-memory cache while Redis is
    unreachable."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._local = LocMemCache(f"fallback-{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})

    def _call(self, name: str, *args, **kwargs):
        down = _down_since
        if down is not None and time.monotonic() - down < RETRY_SECONDS:
            return getattr(self._local, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as error:
            _mark_down(error)
            return getattr(self._local, name)(*args, **kwargs)
        if down is not None:
            _mark_up()
        return result

    add = partialmethod(_call, "add")
    get = partialmethod(_call, "get")
    set = partialmethod(_call, "set")
    touch = partialmethod(_call, "touch")
    delete = partialmethod(_call, "delete")
    get_many = partialmethod(_call, "get_many")
    has_key = partialmethod(_call, "has_key")
    incr = partialmethod(_call, "incr")
    set_many = partialmethod(_call, "set_many")
    delete_many = partialmethod(_call, "delete_many")
    clear = partialmethod(_call, "clear")
