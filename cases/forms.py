"""One form per engine action on the case page. Each form parses what the person typed and calls
exactly one service (``run``); the engine decides whether the action is allowed."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, DomainErrorForm
from regulators.models import Office

from . import services
from .evidence import evidence_limits
from .models import CallbackVisit, Case, NotAcceptedReason, Offer, Referral, TerminationReason
from .rules import Action

TEXT = {"rows": 3}


class TrackForm(forms.Form):
    """Public tracking: a case number and the mobile phone given when filing."""

    number = forms.CharField(label=_("Case number"), max_length=20)
    phone = forms.CharField(
        label=_("Mobile phone given when filing"),
        max_length=11,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}),
    )

    # One answer for "no such case" and "wrong phone": the page must not tell which numbers exist.
    not_found_message = _("No case matches this number and phone. Check both and try again.")
    limited_message = _("Too many attempts. Try again in %(wait)s, or sign in to see your cases.")

    def clean_number(self) -> str:
        # Case numbers are upper case; the limits count a number however it was typed.
        return self.cleaned_data["number"].upper()


class ActionForm(DomainErrorForm):
    """A form for one action; its fields are prefixed with the action so that every form of the
    page has its own ids."""

    action: Action
    submit_label = _("Submit")
    danger = False  # ends or hands over the case: shown with a warning colour

    def __init__(self, data=None, files=None, *, case: Case, **kwargs):
        self.case = case
        super().__init__(data, files, prefix=self.action.value, **kwargs)
        if "file" in self.fields:
            self.fields["file"].help_text = _evidence_help()

    # Each form defines ``run(*, actor, now=None)``: call the one service of its action with the
    # cleaned data and return what it returns.


def _reason_field(label, required=True) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=2000, widget=forms.Textarea(attrs=TEXT)
    )


class AcknowledgeForm(ActionForm):
    action = Action.ACKNOWLEDGE
    submit_label = _("Acknowledge the complaint")

    def run(self, *, actor, now=None):
        return services.case_acknowledge(case=self.case, actor=actor, now=now)


class _ComposerForm(ActionForm):
    """Writing to the thread. Each composer is rendered with a fresh key that the post carries:
    the same form sent again (a retry, a double click) posts one message."""

    internal = False
    client_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def run(self, *, actor, now=None):
        return services.case_post_message(
            case=self.case,
            actor=actor,
            body=self.cleaned_data["body"],
            internal=self.internal,
            client_key=self.cleaned_data["client_key"],
            now=now,
        )


class PostMessageForm(_ComposerForm):
    action = Action.POST_MESSAGE
    submit_label = _("Send")
    body = forms.CharField(
        label=_("Message to everyone on the case"),
        max_length=5000,
        widget=forms.Textarea(attrs=TEXT),
    )


class PostNoteForm(_ComposerForm):
    action = Action.POST_NOTE
    submit_label = _("Save the note")
    internal = True
    body = forms.CharField(
        label=_("Note seen by regulator staff only"),
        max_length=5000,
        widget=forms.Textarea(attrs=TEXT),
    )


class _TermsForm(ActionForm):
    remedy = forms.ChoiceField(label=_("Remedy"), choices=Offer.Remedy.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial="0.00",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    fulfil_by = forms.DateField(label=_("To be fulfilled by"), widget=DateInput())
    text = forms.CharField(label=_("Terms"), max_length=5000, widget=forms.Textarea(attrs=TEXT))

    def clean(self):
        cleaned = super().clean()
        if "fulfil_by" in cleaned:
            self.engine_check(services.fulfil_by_check, cleaned["fulfil_by"], timezone.now())
        return cleaned

    def terms(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("remedy", "amount", "fulfil_by", "text")}


class MakeOfferForm(_TermsForm):
    action = Action.MAKE_OFFER
    submit_label = _("Make the offer")
    is_final = forms.BooleanField(
        label=_("Final offer: if the consumer rejects it, negotiation ends"), required=False
    )

    def __init__(self, *args, proposer_is_mediator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if proposer_is_mediator:  # a mediator's proposal is never "final"
            del self.fields["is_final"]

    def run(self, *, actor, now=None):
        return services.offer_make(
            case=self.case,
            actor=actor,
            is_final=self.cleaned_data.get("is_final", False),
            now=now,
            **self.terms(),
        )


class AcceptOfferForm(ActionForm):
    action = Action.ACCEPT_OFFER
    submit_label = _("Accept the offer")

    def run(self, *, actor, now=None):
        return services.offer_accept(case=self.case, actor=actor, now=now)


class RejectOfferForm(ActionForm):
    action = Action.REJECT_OFFER
    submit_label = _("Reject the offer")
    danger = True
    reason = _reason_field(_("Why you reject the offer"))

    def run(self, *, actor, now=None):
        return services.offer_reject(
            case=self.case, actor=actor, reason=self.cleaned_data["reason"], now=now
        )


class DeclineForm(ActionForm):
    action = Action.DECLINE
    submit_label = _("Decline to settle")
    danger = True
    reason = _reason_field(_("Why you decline to settle"))

    def run(self, *, actor, now=None):
        return services.case_decline(
            case=self.case, actor=actor, reason=self.cleaned_data["reason"], now=now
        )


class WithdrawForm(ActionForm):
    action = Action.WITHDRAW
    submit_label = _("Withdraw the complaint")
    danger = True
    reason = _reason_field(_("Reason (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.case_withdraw(
            case=self.case, actor=actor, reason=self.cleaned_data["reason"], now=now
        )


class EscalateForm(ActionForm):
    action = Action.ESCALATE
    submit_label = _("Ask the regulator to handle it")

    def run(self, *, actor, now=None):
        return services.case_escalate(case=self.case, actor=actor, now=now)


class CloseForm(ActionForm):
    action = Action.CLOSE
    submit_label = _("Close the case")
    danger = True

    def run(self, *, actor, now=None):
        return services.case_close(case=self.case, actor=actor, now=now)


class AcceptForm(ActionForm):
    action = Action.ACCEPT
    submit_label = _("Accept for mediation")

    def run(self, *, actor, now=None):
        return services.case_accept(case=self.case, actor=actor, now=now)


class _ReasonCodeForm(ActionForm):
    reason_choices: type
    reason_text = _reason_field(_("Explanation (required for “other”)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "reason_code": forms.ChoiceField(
                label=_("Reason"), choices=self.reason_choices.choices
            ),
            **self.fields,
        }

    def clean(self):
        cleaned = super().clean()
        if "reason_code" in cleaned:
            self.engine_check(
                services.reason_check,
                cleaned["reason_code"],
                cleaned.get("reason_text", ""),
                self.reason_choices,
            )
        return cleaned


class RejectIntakeForm(_ReasonCodeForm):
    action = Action.REJECT_INTAKE
    submit_label = _("Do not accept")
    danger = True
    reason_choices = NotAcceptedReason

    def run(self, *, actor, now=None):
        return services.case_reject_intake(
            case=self.case,
            actor=actor,
            reason_code=self.cleaned_data["reason_code"],
            reason_text=self.cleaned_data["reason_text"],
            now=now,
        )


class TerminateMediationForm(_ReasonCodeForm):
    action = Action.TERMINATE_MEDIATION
    submit_label = _("Terminate mediation")
    danger = True
    reason_choices = TerminationReason

    def run(self, *, actor, now=None):
        return services.mediation_terminate(
            case=self.case,
            actor=actor,
            reason_code=self.cleaned_data["reason_code"],
            reason_text=self.cleaned_data["reason_text"],
            now=now,
        )


class TransferForm(ActionForm):
    action = Action.TRANSFER
    submit_label = _("Transfer")
    danger = True
    to_office = forms.ModelChoiceField(
        label=_("To office"),
        queryset=Office.objects.none(),
        empty_label=_("Choose the office…"),
    )
    reason = _reason_field(_("Why the case is transferred"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_office"].queryset = Office.objects.exclude(pk=self.case.office_id)

    def run(self, *, actor, now=None):
        return services.case_transfer(
            case=self.case,
            actor=actor,
            to_office=self.cleaned_data["to_office"],
            reason=self.cleaned_data["reason"],
            now=now,
        )


class ConcludeMediationForm(_TermsForm):
    action = Action.CONCLUDE_MEDIATION
    submit_label = _("Record the agreement both parties signed")

    def run(self, *, actor, now=None):
        return services.mediation_conclude(case=self.case, actor=actor, now=now, **self.terms())


class MarkFulfilledForm(ActionForm):
    action = Action.MARK_FULFILLED
    submit_label = _("Mark the agreement fulfilled")
    note = _reason_field(_("What was done (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.agreement_mark_fulfilled(
            case=self.case, actor=actor, note=self.cleaned_data["note"], now=now
        )


class ConfirmFulfilmentForm(ActionForm):
    action = Action.CONFIRM_FULFILMENT
    submit_label = _("Confirm the agreement was fulfilled")

    def run(self, *, actor, now=None):
        return services.agreement_confirm(case=self.case, actor=actor, now=now)


def _evidence_field(required: bool) -> forms.FileField:
    return forms.FileField(
        label=_("Evidence file"),
        required=required,
        widget=forms.ClearableFileInput(attrs={"accept": evidence_limits()["accept"]}),
    )


def _evidence_help() -> str:
    """The limits, shown before upload (worded in the language of the request)."""
    limits = evidence_limits()
    return _(
        "JPEG, PNG, PDF or MP4; up to %(file)s MB a file (videos %(video)s MB), "
        "%(case)s MB for the whole case."
    ) % {
        "file": limits["max_file_mb"],
        "video": limits["max_video_mb"],
        "case": limits["max_case_mb"],
    }


class AddEvidenceForm(ActionForm):
    action = Action.ADD_EVIDENCE
    submit_label = _("Attach")
    file = _evidence_field(required=True)
    description = forms.CharField(
        label=_("What it shows (optional)"), max_length=500, required=False
    )

    def run(self, *, actor, now=None):
        return services.evidence_add(
            case=self.case,
            actor=actor,
            file=self.cleaned_data["file"],
            description=self.cleaned_data["description"],
            now=now,
        )


class ReportBreachForm(ActionForm):
    action = Action.REPORT_BREACH
    submit_label = _("Report non-fulfilment")
    danger = True
    description = _reason_field(_("What was not fulfilled"))
    file = _evidence_field(required=False)

    def run(self, *, actor, now=None):
        file = self.cleaned_data.get("file")
        return services.agreement_report_breach(
            case=self.case,
            actor=actor,
            description=self.cleaned_data["description"],
            evidence=[file] if file else None,
            now=now,
        )


class RateForm(ActionForm):
    action = Action.RATE
    submit_label = _("Rate")
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the handling? (1–5 stars)"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = _reason_field(_("Comment (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.case_rate(
            case=self.case,
            actor=actor,
            rating=self.cleaned_data["rating"],
            comment=self.cleaned_data["comment"],
            now=now,
        )


class OpenReferralForm(ActionForm):
    action = Action.OPEN_REFERRAL
    submit_label = _("Refer for enforcement")
    law = forms.CharField(
        label=_("Suspected violation of (law and article)"),
        max_length=200,
        help_text=_("For example 《广告法》第二十八条."),
    )
    note = _reason_field(_("Note (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.referral_open(
            case=self.case,
            actor=actor,
            law=self.cleaned_data["law"],
            note=self.cleaned_data["note"],
            now=now,
        )


class ExtendReferralForm(ActionForm):
    action = Action.EXTEND_REFERRAL
    submit_label = _("Extend the deadline (once)")
    reason = _reason_field(_("Why more time is needed"))

    def run(self, *, actor, now=None):
        return services.referral_extend(
            case=self.case, actor=actor, reason=self.cleaned_data["reason"], now=now
        )


class DecideReferralForm(ActionForm):
    action = Action.DECIDE_REFERRAL
    submit_label = _("Record the decision")
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Referral.Status.CASE_OPENED, Referral.Status.CASE_OPENED.label),
            (Referral.Status.NO_CASE, Referral.Status.NO_CASE.label),
        ],
        widget=forms.RadioSelect,
    )
    note = _reason_field(_("Note (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.referral_decide(
            case=self.case,
            actor=actor,
            outcome=self.cleaned_data["outcome"],
            note=self.cleaned_data["note"],
            now=now,
        )


class RecordCallbackForm(ActionForm):
    action = Action.RECORD_CALLBACK
    submit_label = _("Record the callback")
    satisfaction = forms.ChoiceField(
        label=_("How satisfied is the consumer?"),
        choices=[("", _("Not reached")), *CallbackVisit.Satisfaction.choices],
        required=False,
    )
    outcome_real = forms.NullBooleanField(
        label=_("Is the outcome recorded real?"),
        widget=forms.Select(
            choices=[("unknown", _("Not known")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    note = _reason_field(_("Note (optional)"), required=False)

    def run(self, *, actor, now=None):
        return services.callback_record(
            case=self.case,
            actor=actor,
            satisfaction=self.cleaned_data["satisfaction"],
            outcome_real=self.cleaned_data["outcome_real"],
            note=self.cleaned_data["note"],
            now=now,
        )


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    form.action: form
    for form in (
        AcknowledgeForm,
        PostMessageForm,
        PostNoteForm,
        MakeOfferForm,
        AcceptOfferForm,
        RejectOfferForm,
        DeclineForm,
        WithdrawForm,
        EscalateForm,
        CloseForm,
        AcceptForm,
        RejectIntakeForm,
        TransferForm,
        ConcludeMediationForm,
        TerminateMediationForm,
        MarkFulfilledForm,
        ConfirmFulfilmentForm,
        ReportBreachForm,
        AddEvidenceForm,
        RateForm,
        OpenReferralForm,
        ExtendReferralForm,
        DecideReferralForm,
        RecordCallbackForm,
    )
}
