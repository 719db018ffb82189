"""The API's JSON parser: DRF's, refusing what the database cannot store or the parser cannot
survive, as a 400 ``parse_error`` instead of a server error."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request body of this API nests deeper than a few levels.
MAX_DEPTH = 32


def json_check(data) -> None:
    """Refuse JSON nested deeper than ``MAX_DEPTH`` or holding text that is not valid Unicode
    (a lone surrogate such as ``"\\ud800"``, which no database column can store)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ParseError(_("The JSON is nested too deeply."))
        if isinstance(value, dict):
            pending += [(k, depth) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            pending += [(v, depth + 1) for v in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(_("The JSON holds text that is not valid Unicode.")) from None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # Python's decoder recurses once per level
            raise ParseError(_("The JSON is nested too deeply.")) from None
        json_check(data)
        return data
