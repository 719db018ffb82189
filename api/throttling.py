"""Rate limits of the API (DRF throttles), counted in the shared cache (``CACHE_URL``); the rates
are settings, ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (README, "Configuration"). A view's
limits are checked together (``RateLimits``): one read and one write of the cache per request."""

from allauth.core.internal.ratelimit import truncate_ip
from django.core.cache import cache as default_cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

# The client's address exactly as the audit log and allauth's limits read it (a trusted proxy's
# header when ODR_TRUSTED_CLIENT_IP_HEADER names one).
from core.audit import _client_address as client_address

from .models import ApiToken


class _ScopedThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from the settings at each request (not at import)."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _who(request) -> str | None:
    """The token, else the signed-in person, a request is counted against."""
    if isinstance(getattr(request, "auth", None), ApiToken):
        return f"token-{request.auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    return None


class TokenRateThrottle(_ScopedThrottle):
    """Every request made with one token."""

    scope = "api_token"

    def get_cache_key(self, request, view) -> str | None:
        token = getattr(request, "auth", None)
        return self.key(f"token-{token.pk}") if isinstance(token, ApiToken) else None


class WriteRateThrottle(_ScopedThrottle):
    """Every write (POST, PUT, PATCH, DELETE) by one person or token."""

    scope = "api_write"

    def get_cache_key(self, request, view) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        who = _who(request)
        return self.key(who) if who else self.key(f"ip-{client_address(request)}")


class ComplaintRateThrottle(_ScopedThrottle):
    """Complaints filed through the API by one consumer."""

    scope = "api_complaint"

    def get_cache_key(self, request, view) -> str | None:
        if request.method != "POST":
            return None
        who = _who(request)
        return self.key(who) if who else None


class HotlineRateThrottle(_ScopedThrottle):
    """Complaints transferred by one hotline token."""

    scope = "api_hotline"

    def get_cache_key(self, request, view) -> str | None:
        who = _who(request)
        return self.key(who) if who else None


class _CacheBatch:
    """What the throttles of one request read and write, served from one ``get_many`` and kept
    for one ``set_many`` (the longest of their periods as the timeout: a history is trimmed to
    its own period whenever it is read)."""

    def __init__(self, found: dict) -> None:
        self.found, self.written, self.timeout = found, {}, 0

    def get(self, key: str, default=None):
        return self.found.get(key, default)

    def set(self, key: str, value, timeout: int) -> None:
        self.written[key] = value
        self.timeout = max(self.timeout, timeout)

    def write(self) -> None:
        if self.written:
            default_cache.set_many(self.written, self.timeout)


class RateLimits(BaseThrottle):
    """The rate limits ``limits`` of a view, each checked by DRF's own rule, with one read and
    one write of the shared cache for all of them (two round trips instead of two per limit).

    As with separate throttles, a request refused by one limit is still counted by the others,
    and the wait it is told is the longest of the refusing limits' waits."""

    limits: tuple[type[_ScopedThrottle], ...] = ()

    def allow_request(self, request, view) -> bool:
        keyed, self.refused = {}, []
        for limit in self.limits:
            throttle = limit()
            if throttle.rate is not None:
                key = throttle.get_cache_key(request, view)
                if key is not None:
                    keyed[key] = throttle
        if not keyed:
            return True
        batch = _CacheBatch(default_cache.get_many(list(keyed)))
        for throttle in keyed.values():
            throttle.cache = batch
            if not throttle.allow_request(request, view):
                self.refused.append(throttle)
        batch.write()
        return not self.refused

    def wait(self) -> float | None:
        waits = [wait for wait in (t.wait() for t in self.refused) if wait is not None]
        return max(waits, default=None)


class DefaultRateLimits(RateLimits):
    """Every view's: requests per token, writes per person or token."""

    limits = (TokenRateThrottle, WriteRateThrottle)


class ComplaintRateLimits(RateLimits):
    """Filing through the API: the defaults and complaints per consumer."""

    limits = (TokenRateThrottle, WriteRateThrottle, ComplaintRateThrottle)


class HotlineRateLimits(RateLimits):
    """The 12345 hotline's transfers: the defaults and transfers per token."""

    limits = (TokenRateThrottle, WriteRateThrottle, HotlineRateThrottle)


class TokenCreateThrottle(_ScopedThrottle):
    """Tokens made by one person (the merchant portal's token page)."""

    scope = "api_token_create"

    def get_cache_key(self, request, view) -> str | None:
        return self.key(f"user-{request.user.pk}")


class AuthFailureThrottle(_ScopedThrottle):
    """Requests with a token that does not exist, per client address (an IPv6 address by its /64
    network, as allauth counts sign-ins): a token guesser's slow-down.

    Only a token that is unknown is counted and refused (``api.authentication``): a live token
    authenticates whatever other tokens were tried from its address, so that many integrations
    behind one address (a carrier's NAT, a cloud's egress) are never shut out by one of them.
    The period is short (default a minute): an address guessing tokens is slowed, not locked.
    """

    scope = "api_auth_failed"

    def get_cache_key(self, request, view) -> str:
        address = client_address(request)
        return self.key(f"ip-{truncate_ip(address) if address else address}")

    def exhausted(self, request) -> bool:
        """Whether the address has no failures left; the remaining wait is ``wait()``."""
        if self.rate is None:
            return False
        self.key_now = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key_now, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self) -> None:
        """Count one failure (after ``exhausted``)."""
        if self.rate is None:
            return
        self.history.insert(0, self.now)
        self.cache.set(self.key_now, self.history, self.duration)
