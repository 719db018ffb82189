"""Every change to a case (product §4). Views, the API, tasks and the sweep call these; nothing else
writes a case, its thread or its event chain.

Each public service checks what the person typed, then (``_common.acting``) applies any deadline
already due (so a late action meets the state the deadline produced), locks the case row, checks
with ``rules.require_action`` that the actor may do it, and makes its change through
``cases.op.Op``: ``Op.transition`` is the one function that writes ``Case.status``, ``Op.record``
the one that appends to the event chain. Services return the current case (or what they made);
the caller's own instance is not updated.

``fulfil_by_check``, ``purchase_date_check`` and ``reason_check`` are exported for forms, so that
a form can show every error of what was typed at once, worded by the same rule the service applies
again when it acts.
"""

from ._common import fulfil_by_check, purchase_date_check, reason_check
from .agreement import (
    agreement_confirm,
    agreement_mark_fulfilled,
    agreement_report_breach,
    case_rate,
)
from .evidence import evidence_add
from .filing import TEXT_LIMITS as COMPLAINT_TEXT_LIMITS
from .filing import case_file
from .intake import Business, complaint_intake
from .negotiation import (
    case_acknowledge,
    case_close,
    case_decline,
    case_escalate,
    case_post_message,
    case_withdraw,
    offer_accept,
    offer_make,
    offer_reject,
)
from .referral import callback_record, referral_decide, referral_extend, referral_open
from .regulator import (
    case_accept,
    case_reject_intake,
    case_transfer,
    mediation_conclude,
    mediation_terminate,
)

__all__ = [
    "COMPLAINT_TEXT_LIMITS",
    "Business",
    "agreement_confirm",
    "agreement_mark_fulfilled",
    "agreement_report_breach",
    "callback_record",
    "case_accept",
    "case_acknowledge",
    "case_close",
    "case_decline",
    "case_escalate",
    "case_file",
    "case_post_message",
    "case_rate",
    "case_reject_intake",
    "case_transfer",
    "case_withdraw",
    "complaint_intake",
    "evidence_add",
    "fulfil_by_check",
    "mediation_conclude",
    "mediation_terminate",
    "offer_accept",
    "offer_make",
    "offer_reject",
    "purchase_date_check",
    "reason_check",
    "referral_decide",
    "referral_extend",
    "referral_open",
]
