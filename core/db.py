"""Transactions that lose a race: PostgreSQL ends one of two transactions that wait for each
other (a deadlock) or that cannot both be serialized, and rolls it back whole. Nothing of it was
committed or published (side effects wait for the commit), so running it again is safe."""

import logging
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

# deadlock_detected, serialization_failure
CONFLICT_STATES = {"40P01", "40001"}


def lost_a_race(error: OperationalError) -> bool:
    """Whether ``error`` is PostgreSQL ending this transaction in favour of another one."""
    return getattr(error.__cause__, "sqlstate", None) in CONFLICT_STATES


def retry_once_on_conflict(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` (which opens its own transaction) once more if its transaction lost a deadlock
    or a serialization race. Inside an enclosing transaction it runs once: the retry belongs to
    whoever opened that one."""

    @wraps(fn)
    def wrapped(*args, **kwargs) -> T:
        if connection.in_atomic_block:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except OperationalError as error:
            if not lost_a_race(error):
                raise
            logger.warning("%s lost a race (%s); running it again", fn.__qualname__, error)
            return fn(*args, **kwargs)

    return wrapped
