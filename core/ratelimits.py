"""How long a person refused by a rate limit has to wait, for the pages that tell them.

The limits themselves are allauth's (``ACCOUNT_RATE_LIMITS``: sign-in, codes sent to a phone,
public tracking), kept in the shared cache. A refusal does not say which limit refused or for how
long, so this reads the same cache entries the limits use.
"""

import logging
import math
import time
from collections.abc import Iterable

from allauth.core.internal.ratelimit import get_cache_key, get_rates
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

APP = "allauth.account"
# Said when the wait cannot be read (the cache does not answer, or a limit is per key).
FALLBACK_SECONDS = 60


def wait_seconds(
    request: HttpRequest, actions: Iterable[str], keys: dict[str, str] | None = None
) -> int:
    """Return the seconds until every limit of ``actions`` that this request has used up lets
    it through again (at least 1): limits per address from the request, limits per key from
    ``keys[action]``; ``FALLBACK_SECONDS`` when none of them can be read."""
    now, wait, read = time.time(), 0.0, False
    try:
        for action in actions:
            for rate in get_rates(app=APP, action=action):
                key = (keys or {}).get(action)
                if rate.per == "user" or (rate.per == "key" and key is None):
                    continue
                cache_key = get_cache_key(request, app=APP, action=action, rate=rate, key=key)
                history = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
                read = True
                if len(history) >= rate.amount:
                    # Newest first: one more request is let through once this one expires.
                    wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    except Exception:  # the cache is down: the page still answers, with a safe figure
        logger.warning("rate limit wait not readable", exc_info=True)
        return FALLBACK_SECONDS
    if not read:
        return FALLBACK_SECONDS
    return max(1, math.ceil(wait))


def wait_words(seconds: int) -> str:
    """``seconds`` as people say it: "45 seconds", "3 minutes", "2 hours" (rounded up)."""
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
