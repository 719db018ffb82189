"""Reply templates filled in for one case (pure text work; no database)."""

import re

from django.utils.translation import gettext_lazy as _

# The variables a template may use, with what each becomes, in the order the page lists them.
REPLY_VARIABLES = {
    "case_number": _("the case number"),
    "consumer_name": _("the consumer's name, as you may see it"),
    "claim": _("what the consumer asks for"),
    "deadline": _("your next deadline on the case"),
    "amount": _("the amount claimed"),
}
# Anything that looks like a variable: a name (ASCII letters, digits, underscores) in braces.
_VARIABLE = re.compile(r"\{([A-Za-z_]\w*)\}", re.ASCII)


def fill_reply(body: str, values: dict[str, str]) -> str:
    """Return ``body`` with ``{case_number}`` and the other variables replaced by ``values``.

    Only ``{name}`` with a known name is replaced; anything else in braces, or a lone brace, is
    left as typed. Plain text substitution: no template can reach into Python objects.
    """
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


def unknown_variables(body: str) -> list[str]:
    """The ``{name}`` in ``body`` that are no variable (a typo would reach the consumer as
    typed), each once, in the order they come."""
    found = [m.group(1) for m in _VARIABLE.finditer(body)]
    return list(dict.fromkeys(name for name in found if name not in REPLY_VARIABLES))
