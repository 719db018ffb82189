# Every sign-in test runs with an empty cache (see helpers).
from .helpers import fresh_cache  # noqa: F401 (autouse fixtures)
