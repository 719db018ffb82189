"""The regulator portal's pages (product §2), one module per area; ``regulators.urls`` imports
them from here."""

from .dashboard import dashboard, export
from .workbench import home, merchant_results, queue, referrals, register

__all__ = ["dashboard", "export", "home", "merchant_results", "queue", "referrals", "register"]

from .abnormal import complainant, complainants, complaint_flag
from .callbacks import callbacks
from .steering import business_invite_page, businesses, invitation_letter, invitations
from .supervision import merchant_act, merchant_detail, merchant_licence, merchants

__all__ += [
    "business_invite_page",
    "businesses",
    "callbacks",
    "complainant",
    "complainants",
    "complaint_flag",
    "invitation_letter",
    "invitations",
    "merchant_act",
    "merchant_detail",
    "merchant_licence",
    "merchants",
]
