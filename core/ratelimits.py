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
from django.conf import settings
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


# --- Evidence uploads --------------------------------------------------------------------------
#
# Every evidence file is decoded and checked before it is stored, which costs a worker up to a
# second or so of CPU for a large image: ODR_RATE_LIMIT_EVIDENCE limits how many files one person
# uploads in a period, on every page that takes them. Its format is allauth's ("amount/period/per",
# several separated by commas), per "user" (the signed-in person) or "ip"; it is kept in the
# shared cache like allauth's limits, a file counting once (a page sending three files counts
# three).

UPLOADS_APP = "odr.evidence"
UPLOADS_ACTION = "upload"


def _upload_rates() -> list:
    return get_rates(
        app=UPLOADS_APP,
        action=UPLOADS_ACTION,
        config={UPLOADS_ACTION: settings.ODR_RATE_LIMIT_EVIDENCE},
    )


def evidence_uploads_at_once() -> int | None:
    """The most files one request may bring (the smallest amount of the limits), or None when
    uploads are not limited."""
    return min((rate.amount for rate in _upload_rates()), default=None)


def evidence_upload_wait(request: HttpRequest, files: int) -> int:
    """Count ``files`` uploaded files against the person's limits and return 0; or, when they
    would take the person past one of the limits, count none of them and return the seconds
    until they fit (at least 1; a whole period for more files than a limit allows at all).

    Two requests of one person at the same instant may both be counted from the same history
    (no lock, as with the API's throttles): at worst one more request gets through."""
    if files < 1:
        return 0
    now, wait = time.time(), 0.0
    try:
        rates = _upload_rates()
        keys = [
            get_cache_key(request, app=UPLOADS_APP, action=UPLOADS_ACTION, rate=rate)
            for rate in rates
        ]
        found = cache.get_many(keys)
        histories = []
        for rate, key in zip(rates, keys, strict=True):
            # Newest first, as allauth keeps them.
            history = [t for t in found.get(key, []) if t > now - rate.duration]
            histories.append(history)
            if len(history) + files > rate.amount:
                if files > rate.amount:
                    wait = max(wait, rate.duration)
                else:
                    wait = max(wait, history[rate.amount - files] + rate.duration - now)
        if wait:
            return max(1, math.ceil(wait))
        for rate, key, history in zip(rates, keys, histories, strict=True):
            cache.set(key, [now] * files + history, rate.duration)
    except Exception:  # the cache is down: uploads go on (each is still checked)
        logger.warning("evidence upload limit not counted", exc_info=True)
    return 0
