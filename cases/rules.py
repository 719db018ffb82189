"""Who stands where on a case, and what each person can do next.

Pages and the API ask ``case_available_actions``; services check the same answer with
``require_action`` before they change anything. Nothing else repeats these rules.
"""

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import merchant_membership, regulator_membership
from core.errors import ActionNotAllowed

from .models import OFFER_STATUSES, Case, Offer, Referral, Status

# Stands for "not looked up yet" where None already means "there is none".
UNKNOWN = object()


class Party(models.TextChoices):
    CONSUMER = "consumer", _("consumer")
    MERCHANT = "merchant", _("merchant")
    OFFICE = "office", _("handling regulator office")
    SUPERVISING_OFFICE = "supervising_office", _("supervising regulator office")
    SYSTEM = "system", _("system")


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    POST_MESSAGE = "post_message", _("Post a message")
    POST_NOTE = "post_note", _("Add a regulator-only note")
    ADD_EVIDENCE = "add_evidence", _("Attach evidence")
    MAKE_OFFER = "make_offer", _("Make an offer")
    ACCEPT_OFFER = "accept_offer", _("Accept the offer")
    REJECT_OFFER = "reject_offer", _("Reject the offer")
    DECLINE = "decline", _("Decline to settle")
    WITHDRAW = "withdraw", _("Withdraw the complaint")
    ESCALATE = "escalate", _("Ask the regulator to handle it")
    CLOSE = "close", _("Close the case")
    ACCEPT = "accept", _("Accept for mediation")
    REJECT_INTAKE = "reject_intake", _("Do not accept")
    TRANSFER = "transfer", _("Transfer to another office")
    CONCLUDE_MEDIATION = "conclude_mediation", _("Record the mediated agreement")
    TERMINATE_MEDIATION = "terminate_mediation", _("Terminate mediation")
    MARK_FULFILLED = "mark_fulfilled", _("Mark the agreement fulfilled")
    CONFIRM_FULFILMENT = "confirm_fulfilment", _("Confirm fulfilment")
    REPORT_BREACH = "report_breach", _("Report that the agreement was not fulfilled")
    RATE = "rate", _("Rate the handling")
    OPEN_REFERRAL = "open_referral", _("Refer for enforcement")
    EXTEND_REFERRAL = "extend_referral", _("Extend the referral deadline")
    DECIDE_REFERRAL = "decide_referral", _("Decide the referral")
    RECORD_CALLBACK = "record_callback", _("Record a callback visit")


def case_party(case: Case, user) -> Party | None:
    """Return how ``user`` stands on ``case``, or None when the case is none of their business."""
    if user is None or not user.is_authenticated:
        return None
    if case.consumer_id == user.pk:
        return Party.CONSUMER
    membership = merchant_membership(user)
    if (
        membership is not None
        and membership.merchant_id == case.merchant_id
        and case.merchant.staff_handle_cases
    ):
        return Party.MERCHANT
    staff = regulator_membership(user)
    if staff is not None:
        if staff.office_id == case.office_id:
            return Party.OFFICE
        if case.office.is_within(staff.office):
            return Party.SUPERVISING_OFFICE
    return None


def case_available_actions(
    case: Case,
    user,
    *,
    party: Party | None = None,
    offer: "Offer | object | None" = UNKNOWN,
    referral: "Referral | object | None" = UNKNOWN,
    now: datetime | None = None,
) -> set[Action]:
    """Return what ``user`` can do next on ``case``.

    ``offer`` and ``referral`` (the open ones, or None when there is none) are looked up
    unless given.
    """
    party = party or case_party(case, user)
    if party is None or party == Party.SUPERVISING_OFFICE:
        return set()
    now = now or timezone.now()
    status = case.status
    if offer is UNKNOWN:
        offer = case.open_offer() if status in OFFER_STATUSES else None
    actions: set[Action] = set()
    no_open_offer = offer is None or offer.status != Offer.Status.OPEN

    if party == Party.CONSUMER:
        if status in OFFER_STATUSES:
            actions |= {Action.POST_MESSAGE, Action.WITHDRAW}
            if offer is not None and party in offer.waiting_for():
                actions |= {Action.ACCEPT_OFFER, Action.REJECT_OFFER}
        elif status == Status.REGULATOR_INTAKE:
            actions |= {Action.POST_MESSAGE, Action.WITHDRAW}
        elif status == Status.NOT_SETTLED:
            actions |= {Action.ESCALATE, Action.CLOSE}
        elif status == Status.SETTLED:
            # The thread stays open while the agreement awaits fulfilment (a receipt, a tracking
            # number, "not received yet").
            actions |= {Action.POST_MESSAGE, Action.CONFIRM_FULFILMENT}
            # Non-fulfilment can be reported once the merchant claims fulfilment or the
            # fulfil-by date has passed (the sweep flags it), not before.
            agreement = case.current_agreement()
            if case.fulfilment_overdue or (agreement and agreement.fulfilled_marked_at):
                actions.add(Action.REPORT_BREACH)
        elif (
            status == Status.CLOSED
            and case.rating is None
            and case.rating_due_at is not None
            and now <= case.rating_due_at
        ):
            actions.add(Action.RATE)

    elif party == Party.MERCHANT:
        if status == Status.SUBMITTED:
            actions.add(Action.ACKNOWLEDGE)
        if status in OFFER_STATUSES:
            actions.add(Action.POST_MESSAGE)
            # In mediation the proposals are the mediator's; the merchant answers them.
            if no_open_offer and status != Status.MEDIATION:
                actions.add(Action.MAKE_OFFER)
            if offer is not None and party in offer.waiting_for():
                actions |= {Action.ACCEPT_OFFER, Action.REJECT_OFFER}
        if status == Status.NEGOTIATING:
            actions.add(Action.DECLINE)
        if status == Status.SETTLED:
            actions.add(Action.POST_MESSAGE)
            agreement = case.current_agreement()
            if agreement is not None and agreement.fulfilled_marked_at is None:
                actions.add(Action.MARK_FULFILLED)

    elif party == Party.OFFICE:
        actions.add(Action.POST_NOTE)
        if status == Status.REGULATOR_INTAKE:
            actions |= {Action.ACCEPT, Action.REJECT_INTAKE, Action.TRANSFER}
        if status == Status.MEDIATION:
            actions |= {Action.POST_MESSAGE, Action.CONCLUDE_MEDIATION, Action.TERMINATE_MEDIATION}
            if no_open_offer:
                actions.add(Action.MAKE_OFFER)
        if status == Status.CLOSED:
            actions.add(Action.RECORD_CALLBACK)
        if referral is UNKNOWN:
            referral = case.open_referral()
        if referral is None:
            if status in (Status.REGULATOR_INTAKE, Status.MEDIATION, Status.CLOSED):
                actions.add(Action.OPEN_REFERRAL)
        else:
            actions.add(Action.DECIDE_REFERRAL)
            if not referral.extended:
                actions.add(Action.EXTEND_REFERRAL)
    # Evidence goes where the person may write to the thread, and with a report of
    # non-fulfilment.
    if actions & {Action.POST_MESSAGE, Action.REPORT_BREACH}:
        actions.add(Action.ADD_EVIDENCE)
    return actions


def require_action(case: Case, user, action: Action, **kwargs) -> Party:
    """Return the actor's party on the case, or raise when they may not take ``action`` now."""
    party = case_party(case, user)
    if party is None:
        raise ActionNotAllowed(_("You cannot act on this case."), code="not_your_case")
    if action not in case_available_actions(case, user, party=party, **kwargs):
        raise ActionNotAllowed(
            _("“%(action)s” is not possible on this case now (status: %(status)s).")
            % {"action": action.label, "status": case.get_status_display()},
            code="action_not_available",
        )
    return party
