"""The regulator portal's pages (product §2), one module per area; ``regulators.urls`` imports
them from here."""

from .workbench import home, merchant_results, queue, referrals, register

__all__ = ["home", "merchant_results", "queue", "referrals", "register"]
