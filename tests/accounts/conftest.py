import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage of production needs `collectstatic`; pages under test only need URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth keeps used TOTP codes and sign-in rate limits in the cache; user ids repeat
    # between tests on SQLite, so a code used by one test would be refused in the next.
    cache.clear()
    yield
    cache.clear()
