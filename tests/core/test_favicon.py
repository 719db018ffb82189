"""The site icon: /favicon.ico leads to the static icon, and every page links the icons."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ICO_MAGIC = b"\x00\x00\x01\x00"  # reserved 0, type 1 (icon)


@pytest.fixture
def served_static(settings):
    # WhiteNoise serves the source folders only with DEBUG (as in `make run`); tests run without
    # it, so let it find the files the same way. It reads the setting on the first request.
    settings.WHITENOISE_USE_FINDERS = True


def test_favicon_ico_redirects_to_the_static_icon_which_is_served(client, served_static):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain == [(f"{settings.STATIC_URL}favicon.ico", 302)]
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == ICO_MAGIC
    assert body == (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()


def test_the_icon_files_are_a_valid_ico_and_svg():
    ico = Path(finders.find("favicon.ico")).read_bytes()
    assert ico[:4] == ICO_MAGIC
    assert int.from_bytes(ico[4:6], "little") >= 1  # number of images

    svg = ElementTree.parse(finders.find("favicon.svg")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.django_db
def test_pages_link_the_icons(client):
    page = client.get("/").content.decode()

    assert f'<link rel="icon" href="{settings.STATIC_URL}favicon.svg" type="image/svg+xml">' in page
    assert f'<link rel="icon" href="{settings.STATIC_URL}favicon.ico"' in page
