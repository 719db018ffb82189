"""The merchant portal's pages (product §3), one module per area; ``merchants.urls`` imports them
from here."""

from .inbox import home

__all__ = ["home"]
