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

from .onboarding import apply, licence, profile, status
from .staff import invitation_withdraw, join, staff, staff_remove_member, staff_role
from .tokens import token_revoke, tokens
from .webhooks import (
    webhook_detail,
    webhook_enable,
    webhook_redeliver_one,
    webhook_remove,
    webhooks,
)

__all__ += [
    "apply",
    "invitation_withdraw",
    "join",
    "licence",
    "profile",
    "staff",
    "staff_remove_member",
    "staff_role",
    "status",
]
__all__ += [
    "webhook_detail",
    "webhook_enable",
    "webhook_redeliver_one",
    "webhook_remove",
    "webhooks",
]
__all__ += ["token_revoke", "tokens"]
