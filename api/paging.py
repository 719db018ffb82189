"""Cursor pages for the API's lists, read by the same keyset selectors as the portal pages
(``core.paging.keyset_page``): ``?cursor=`` takes the ``next_cursor`` of the previous page."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from core.paging import KeysetPage

CURSOR_PARAM = "cursor"
CURSOR_PARAMETER = OpenApiParameter(
    CURSOR_PARAM,
    str,
    description=str(_("The next_cursor of the previous page; leave it out for the first page.")),
    required=False,
)


def cursor_of(request: Request) -> str | None:
    return request.query_params.get(CURSOR_PARAM) or None


def page_data(request: Request, page: KeysetPage, results: list) -> dict:
    """A page as the API answers it: the rows, and where the next page is."""
    cursor = page.next_cursor
    return {
        "next": replace_query_param(request.build_absolute_uri(), CURSOR_PARAM, cursor)
        if cursor
        else None,
        "next_cursor": cursor,
        "results": results,
    }


def paged(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The serializer of a page of ``item`` rows (for the schema)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "next_cursor": serializers.CharField(allow_null=True),
            "results": item(many=True),
            "__module__": __name__,
        },
    )
