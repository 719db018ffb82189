"""The regulator portal's pages (product §2), one module per area; ``regulators.urls`` imports
them from here."""

from .workbench import home

__all__ = ["home"]
