"""Reply templates filled in for one case (pure text work; no database)."""

import re

# The variables a template may use, in the order the template page lists them.
REPLY_VARIABLES = ("case_number", "consumer_name", "claim", "deadline", "amount")
_VARIABLE = re.compile(r"\{([a-z_]+)\}")


def fill_reply(body: str, values: dict[str, str]) -> str:
    """Return ``body`` with ``{case_number}`` and the other variables replaced by ``values``.

    Only ``{name}`` with a known name is replaced; anything else in braces, or a lone brace, is
    left as typed. Plain text substitution: no template can reach into Python objects.
    """
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)
