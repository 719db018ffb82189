# Every sign-in test runs with an empty cache and an empty list of text messages (see helpers).
from .helpers import fresh_cache, fresh_sms_outbox  # noqa: F401 (autouse fixtures)
