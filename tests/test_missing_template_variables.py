"""The suite's guard against templates that read a variable their context lacks (tests/conftest.py:
``MissingTemplateVariable``): the portal's own templates fail the test, library templates that
read optional variables by design do not."""

import pytest
from django.template import TemplateSyntaxError
from django.template.loader import render_to_string

from tests.conftest import sign_in


def test_a_portal_template_missing_a_variable_fails():
    with pytest.raises(TemplateSyntaxError, match="title"):
        render_to_string("errors/error.html", {"status": 404, "message": "…"})


@pytest.mark.django_db
def test_a_library_template_reading_an_optional_variable_renders(client, alice):
    # allauth's two-factor page reads ``authenticators.recovery_codes`` whether or not there are
    # any: allowed for a library's template.
    sign_in(client, alice)
    response = client.get("/accounts/2fa/")
    assert response.status_code == 200
