"""One case, addressed by its number: the case with its deadlines, the open offer or agreement,
what the caller may do next and the thread; the thread alone (polling); evidence files.

Every view fetches the case with ``cases.selectors.case_get_for_user`` (404 for "missing" and
"not yours" alike, refusals audited) and shows what the engine says the caller's party may see.
"""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cases.evidence import KINDS as EVIDENCE_KINDS
from cases.evidence import evidence_download_name
from cases.models import Agreement, Case, Evidence, Message, Offer, Status
from cases.rules import Action, Party, case_available_actions
from cases.selectors import CaseView, case_get_for_user, case_read, case_thread_for
from core.downloads import download_response

from .errors import COMMON_ERRORS, error_responses

CASE_NUMBER_PATTERN = "[0-9]{8}-[0-9A-Z]{8}"
NUMBER_PARAMETER = OpenApiParameter(
    "number",
    str,
    OpenApiParameter.PATH,
    description=str(_("The case number, e.g. 20260302-K7QX4MNP.")),
    pattern=f"^{CASE_NUMBER_PATTERN}$",
)
# What an evidence file can be (cases.evidence checks the bytes when it is attached).
EVIDENCE_TYPES = tuple(EVIDENCE_KINDS)


class CaseNumberConverter:
    regex = CASE_NUMBER_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# --- Serializers -------------------------------------------------------------------------------


class MerchantRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region_code = serializers.CharField()


class OfficeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region_code = serializers.CharField()


class CaseSummarySerializer(serializers.Serializer):
    """A case as every list shows it."""

    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    resolution = serializers.CharField(help_text=_("How a closed case ended; empty while open."))
    channel = serializers.CharField()
    subject = serializers.CharField()
    merchant = MerchantRefSerializer()
    office = OfficeRefSerializer()
    filed_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    merchant_due_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The deadline the merchant must meet now, if any.")
    )


class DeadlineSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("acknowledge, settle, choice, offer, fulfil, …"))
    due_at = serializers.DateTimeField()
    working_days = serializers.BooleanField(help_text=_("Counted in working days."))
    provisional = serializers.BooleanField(
        help_text=_("Crosses a year whose official calendar is not yet known.")
    )
    overdue = serializers.BooleanField()
    left = serializers.IntegerField(help_text=_("Days left, counted as on every page."))
    today_counts = serializers.BooleanField()


class SortedListField(serializers.ListField):
    """A list of the items of a set, sorted (a set has no order of its own)."""

    def to_representation(self, data) -> list:
        return super().to_representation(sorted(data))


class OfferSerializer(serializers.ModelSerializer):
    waiting_for = SortedListField(
        child=serializers.CharField(),
        help_text=_("Whose acceptance the open offer still needs (consumer, merchant)."),
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "proposer",
            "remedy",
            "amount",
            "fulfil_by",
            "text",
            "is_final",
            "status",
            "rejection_reason",
            "created_at",
            "decided_at",
            "waiting_for",
        ]


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "id",
            "kind",
            "remedy",
            "amount",
            "fulfil_by",
            "text",
            "created_at",
            "fulfilled_marked_at",
            "confirmed_at",
            "confirmation_presumed",
            "breach_reported_at",
        ]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "author_party", "visibility", "body", "created_at"]


class EvidenceSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "original_name",
            "description",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "download",
        ]

    def get_download(self, evidence: Evidence) -> str:
        return reverse(
            "api:case_evidence",
            args=[self.context["number"], evidence.pk],
            request=self.context.get("request"),
        )


class ThreadEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField(source="event.seq")
    type = serializers.CharField(source="event.type")
    created_at = serializers.DateTimeField(source="event.created_at")
    internal = serializers.BooleanField(
        source="event.internal", help_text=_("Seen by regulator staff only.")
    )
    data = serializers.JSONField(
        source="event.facts",
        help_text=_(
            "The facts the event recorded (codes, dates, ids of the thread's messages, files and "
            "offers; never a person's account id)."
        ),
    )
    message = MessageSerializer(allow_null=True)
    evidence = EvidenceSerializer(allow_null=True)
    offer = OfferSerializer(allow_null=True)
    note = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "What the person wrote with this step: the fulfilment note, the report of "
            "non-fulfilment, an evidence file's description, the rating's comment, a referral's "
            "note; empty when none."
        ),
    )


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    masked = serializers.BooleanField(
        help_text=_("Masked for the merchant unless the consumer consented.")
    )


class CaseDetailSerializer(CaseSummarySerializer):
    facts = serializers.CharField()
    claim = serializers.CharField()
    claim_remedy = serializers.CharField()
    amount_claimed = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    amount_paid = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    purchase_date = serializers.DateField(allow_null=True)
    order_reference = serializers.CharField()
    hotline_ticket = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    party = serializers.ChoiceField(
        choices=Party.choices, help_text=_("How the caller stands on the case.")
    )
    available_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=Action.choices),
        help_text=_("What the caller may do next: POST actions/<action>/."),
    )
    deadlines = DeadlineSerializer(many=True)
    open_offer = OfferSerializer(allow_null=True)
    agreement = AgreementSerializer(allow_null=True)
    contact = ContactSerializer()
    thread = ThreadEntrySerializer(many=True)


class ThreadSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    last_seq = serializers.IntegerField(help_text=_("Ask again with ?since= this number."))
    thread = ThreadEntrySerializer(many=True)


# --- What the views show -----------------------------------------------------------------------


def case_summary(case: Case) -> dict:
    """The fields of ``CaseSummarySerializer``, read from the case."""
    return {name: getattr(case, name) for name in CaseSummarySerializer._declared_fields}


def available_actions(request: Request, case: Case, party: Party) -> list[str]:
    """What the caller may do next, in the engine's order of actions."""
    allowed = case_available_actions(case, request.user, party=party, now=timezone.now())
    return [action.value for action in Action if action in allowed]


# The fields of the detail read from the case itself, besides the summary's.
DETAIL_FIELDS = (
    "facts",
    "claim",
    "claim_remedy",
    "amount_claimed",
    "amount_paid",
    "purchase_date",
    "order_reference",
    "hotline_ticket",
    "rating",
)


def case_detail(view: CaseView) -> dict:
    """The fields of ``CaseDetailSerializer``, read from the case as the caller sees it (the
    read model the case page renders)."""
    case = view.case
    return {
        **case_summary(case),
        **{field: getattr(case, field) for field in DETAIL_FIELDS},
        "party": view.party,
        "available_actions": [action.value for action in view.actions],
        "deadlines": view.deadlines,
        "open_offer": view.offer,
        "agreement": view.agreement,
        "contact": view.contact,
        "thread": view.thread,
    }


# --- Views -------------------------------------------------------------------------------------


class CaseDetailApi(APIView):
    @extend_schema(
        operation_id="case_retrieve",
        summary="A case",
        description="The case with its deadlines, open offer or agreement, the consumer's "
        "contact (masked for the merchant unless the consumer consented), what the caller "
        "may do next and the whole thread the caller may read.",
        parameters=[NUMBER_PARAMETER],
        responses={200: CaseDetailSerializer, **error_responses(*COMMON_ERRORS)},
        tags=["cases"],
    )
    def get(self, request: Request, number: str) -> Response:
        case, party = case_get_for_user(request.user, number, request)
        context = {"request": request, "number": case.number}
        # The referral is the page's alone: the API does not read it for its own sake.
        view = case_read(
            case, party, request.user, timezone.now(), request=request, parts={"contact", "thread"}
        )
        data = case_detail(view)
        return Response(CaseDetailSerializer(data, context=context).data)


class CaseThreadApi(APIView):
    @extend_schema(
        operation_id="case_thread",
        summary="The thread of a case",
        description="The thread entries after `since` (an entry's `seq`), oldest first.",
        parameters=[
            NUMBER_PARAMETER,
            OpenApiParameter(
                "since",
                int,
                description=str(_("Only entries after this sequence number.")),
                required=False,
            ),
        ],
        responses={200: ThreadSerializer, **error_responses(400, *COMMON_ERRORS)},
        tags=["cases"],
    )
    def get(self, request: Request, number: str) -> Response:
        since = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
        value = request.query_params.get("since")
        try:
            since_seq = since.run_validation(value) if value not in (None, "") else 0
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"since": error.detail}) from None
        case, party = case_get_for_user(request.user, number, request)
        entries = case_thread_for(case, party, since=since_seq)
        data = {
            "number": case.number,
            "status": case.status,
            "last_seq": entries[-1]["event"].seq if entries else since_seq,
            "thread": entries,
        }
        context = {"request": request, "number": case.number}
        return Response(ThreadSerializer(data, context=context).data)


class CaseEvidenceApi(APIView):
    @extend_schema(
        operation_id="case_evidence_download",
        summary="Download an evidence file",
        description="The file's bytes as stored (images re-encoded), as an attachment.",
        parameters=[NUMBER_PARAMETER],
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY,
                    description="The file, of the type checked when it was attached.",
                )
                for media_type in EVIDENCE_TYPES
            },
            **error_responses(*COMMON_ERRORS),
        },
        tags=["cases"],
    )
    def get(self, request: Request, number: str, evidence_id: int) -> FileResponse:
        case, _party = case_get_for_user(request.user, number, request)
        evidence = get_object_or_404(Evidence, pk=evidence_id, case=case)
        return download_response(
            evidence.file,
            evidence_download_name(evidence.original_name, evidence.content_type),
            evidence.content_type,
        )
