"""The merchant portal's pages (product §3), one module per area; ``merchants.urls`` imports them
from here."""

from .dashboard import dashboard
from .inbox import acknowledge_many, home
from .replies import reply_template_remove, reply_templates

__all__ = [
    "acknowledge_many",
    "dashboard",
    "home",
    "reply_template_remove",
    "reply_templates",
]
