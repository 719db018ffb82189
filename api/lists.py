"""Each role's lists, read by the same selectors as the portal pages, in cursor pages: the
consumer's own cases, the merchant's inbox (with the inbox's filters and counts), and the
regulator office's queues (intake, mediation, open referrals) over its jurisdiction subtree.

A list of another role answers 404, as the portal pages do.
"""

import django_filters
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import consumer_profile, merchant_membership, regulator_membership
from cases.models import Case, Referral, Status
from cases.selectors import case_filed_with, case_list_for_consumer
from core.calendar import current_calendar
from core.db import retry_once_on_conflict
from core.paging import keyset_page
from merchants.selectors import InboxFilter, inbox_counts, inbox_page, inbox_rows
from regulators.models import Office
from regulators.selectors import QUEUES, office_queue, office_referrals

from .cases import (
    CaseSummarySerializer,
    DeadlineSerializer,
    OfficeRefSerializer,
    case_summary,
)
from .errors import COMMON_ERRORS, error_responses
from .hotline import ComplaintSerializer
from .paging import CURSOR_PARAMETER, cursor_of, page_data, paged
from .services import consumer_complaint_file
from .throttling import ComplaintRateLimits

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > 64 or not key.isprintable():
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: [_("At most 64 printable characters.")]}, code="invalid"
        )
    return key


PAGE_SIZE = 25


class _ListApi(GenericAPIView):
    """A list read through a FilterSet (for its validation and its schema) and a selector."""

    filter_backends = [DjangoFilterBackend]
    queryset = Case.objects.none()  # for the schema: the selectors choose the rows

    def filters(self, request: Request) -> dict:
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset())
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.form.cleaned_data


def _with_offices(cases: list[Case]) -> None:
    """Attach each case's office, read in one query (the inbox's selector does not join it)."""
    offices = Office.objects.in_bulk({case.office_id for case in cases})
    for case in cases:
        case.office = offices[case.office_id]


def _required(row):
    if row is None:
        raise Http404
    return row


# --- The consumer's cases ----------------------------------------------------------------------


class ConsumerCaseFilter(django_filters.FilterSet):
    closed = django_filters.BooleanFilter(
        label=_("Only closed cases (true) or only open ones (false)")
    )

    class Meta:
        model = Case
        fields: list[str] = []


class ConsumerComplaintSerializer(ComplaintSerializer):
    contact_phone = serializers.RegexField(
        r"^1[3-9][0-9]{9}$",
        required=False,
        allow_blank=True,
        help_text=_("A mobile number for this complaint (default: the account's own)."),
    )
    consent_contact = serializers.BooleanField(
        default=False, help_text=_("Show the consumer's name and phone to the merchant unmasked.")
    )
    consent_disclosure = serializers.BooleanField(
        default=False,
        help_text=_("Allow the case on public disclosure pages (without the consumer's name)."),
    )


class ConsumerCaseListApi(_ListApi):
    filterset_class = ConsumerCaseFilter
    throttle_classes = [ComplaintRateLimits]

    @extend_schema(
        operation_id="consumer_cases",
        summary="My cases (consumers)",
        description="The consumer's own cases, newest first.",
        parameters=[CURSOR_PARAMETER],
        responses={
            200: paged(CaseSummarySerializer, "CaseSummaryPage"),
            **error_responses(400, *COMMON_ERRORS),
        },
        tags=["lists"],
    )
    def get(self, request: Request) -> Response:
        _required(consumer_profile(request.user))
        closed = self.filters(request)["closed"]
        cases = case_list_for_consumer(request.user, closed=closed).select_related("office")
        page = keyset_page(
            cases, field="filed_at", descending=True, cursor=cursor_of(request), size=PAGE_SIZE
        )
        return Response(page_data(request, page, CaseSummarySerializer(page.rows, many=True).data))

    @extend_schema(
        operation_id="consumer_complaint_file",
        summary="File a complaint (consumers)",
        description="What the filing form does, in one request (channel `api`). The business is "
        "found by its unified social credit code, or by its name in its region, or recorded "
        "anew; the case goes to it if it is an active ODR merchant, else to the regulator "
        "office of its region. Attach evidence afterwards with the `add_evidence` action.",
        request=ConsumerComplaintSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Up to 64 characters naming this filing: the same key sent again "
                "by the same consumer answers 200 with the case already filed, never a second "
                "case.",
            )
        ],
        responses={
            201: OpenApiResponse(CaseSummarySerializer, description="The new case."),
            200: OpenApiResponse(
                CaseSummarySerializer,
                description="The case already filed with this `Idempotency-Key`.",
            ),
            **error_responses(400, *COMMON_ERRORS),
        },
        tags=["lists"],
    )
    def post(self, request: Request) -> Response:
        _required(consumer_profile(request.user))
        serializer = ConsumerComplaintSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        fields["contact_phone"] = fields.get("contact_phone") or None
        key = _idempotency_key(request)
        already = case_filed_with(request.user, key) if key else None
        case = already or retry_once_on_conflict(consumer_complaint_file)(
            consumer=request.user, filing_key=key, **fields
        )
        url = reverse("api:case", kwargs={"number": case.number})
        return Response(
            CaseSummarySerializer(case).data,
            status=status.HTTP_200_OK if already else status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(url)},
        )


# --- The merchant's inbox ----------------------------------------------------------------------


class InboxFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Only cases in this status (default: every open case)")
    )
    due = django_filters.ChoiceFilter(
        choices=[("soon", _("due soon")), ("overdue", _("overdue"))],
        label=_("Only cases due within two working days, or overdue"),
    )
    unacknowledged = django_filters.BooleanFilter(label=_("Only cases not yet acknowledged"))
    q = django_filters.CharFilter(
        max_length=100, label=_("The case with this case number or order number")
    )

    class Meta:
        model = Case
        fields: list[str] = []


class InboxRowSerializer(CaseSummarySerializer):
    consumer = serializers.CharField(
        help_text=_("The consumer's name, masked unless the consumer consented.")
    )
    deadline = DeadlineSerializer(
        allow_null=True, help_text=_("The deadline the merchant must meet now.")
    )
    can_acknowledge = serializers.BooleanField()


def _inbox_row(row: dict) -> dict:
    case = row["case"]
    return {
        **case_summary(case),
        "consumer": row["consumer"],
        "deadline": row["deadline"],
        "can_acknowledge": row["can_acknowledge"],
    }


class MerchantInboxApi(_ListApi):
    filterset_class = InboxFilterSet

    @extend_schema(
        operation_id="merchant_inbox",
        summary="The inbox (merchant staff)",
        description="The merchant's cases by the deadline the merchant must meet next "
        "(acknowledging while a case is not acknowledged, then settling or fulfilling), soonest "
        "first, cases where the merchant holds none after them (closed cases newest first), "
        "with the inbox's filters.",
        parameters=[CURSOR_PARAMETER],
        responses={
            200: paged(InboxRowSerializer, "InboxPage"),
            **error_responses(400, *COMMON_ERRORS),
        },
        tags=["lists"],
    )
    def get(self, request: Request) -> Response:
        membership = _required(merchant_membership(request.user))
        data = self.filters(request)
        flt = InboxFilter(
            status=data["status"] or "",
            due=data["due"] or "",
            unacknowledged=bool(data["unacknowledged"]),
            query=(data["q"] or "").strip(),
        )
        now, calendar = timezone.now(), current_calendar()
        page = inbox_page(
            membership.merchant, flt, cursor=cursor_of(request), now=now, calendar=calendar
        )
        _with_offices(page.rows)
        rows = [_inbox_row(row) for row in inbox_rows(page.rows, now=now, calendar=calendar)]
        return Response(page_data(request, page, InboxRowSerializer(rows, many=True).data))


class StatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    count = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text=_("How many of them are overdue."))


class InboxCountsSerializer(serializers.Serializer):
    by_status = StatusCountSerializer(many=True)
    open = serializers.IntegerField()
    unacknowledged = serializers.IntegerField()
    overdue = serializers.IntegerField()
    soon = serializers.IntegerField()


class MerchantInboxCountsApi(_ListApi):
    @extend_schema(
        operation_id="merchant_inbox_counts",
        summary="The inbox's counts (merchant staff)",
        description="How many of the merchant's cases are in each status and how many of "
        "those are overdue, and how many open ones are unacknowledged, overdue or due soon "
        "(by the deadline the merchant must meet next: acknowledging while a case is not "
        "acknowledged).",
        responses={200: InboxCountsSerializer, **error_responses(*COMMON_ERRORS)},
        tags=["lists"],
    )
    def get(self, request: Request) -> Response:
        membership = _required(merchant_membership(request.user))
        counts = inbox_counts(membership.merchant, now=timezone.now(), calendar=current_calendar())
        counts["by_status"] = [
            {"status": status, "count": n, "overdue": late}
            for status, _label, n, late in counts["by_status"]
        ]
        return Response(InboxCountsSerializer(counts).data)


# --- The regulator office's queues -------------------------------------------------------------


class QueueRowSerializer(CaseSummarySerializer):
    due_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The deadline that orders the queue.")
    )
    overdue = serializers.BooleanField()


def _office(request: Request):
    return _required(regulator_membership(request.user)).office


def _queue_view(queue: str) -> type[_ListApi]:
    status, deadline = QUEUES[queue]

    class OfficeQueueApi(_ListApi):
        @extend_schema(
            operation_id=f"office_queue_{queue}",
            summary=f"The {queue} queue (regulator staff)",
            description=f"Cases with status `{status}` owned by the caller's office or an "
            "office below it, the nearest deadline first.",
            parameters=[CURSOR_PARAMETER],
            responses={
                200: paged(QueueRowSerializer, f"{queue.title()}QueuePage"),
                **error_responses(*COMMON_ERRORS),
            },
            tags=["lists"],
        )
        def get(self, request: Request) -> Response:
            office = _office(request)
            page = office_queue(office, queue, cursor=cursor_of(request))
            now = timezone.now()
            rows = [
                {
                    **case_summary(case),
                    "due_at": getattr(case, deadline),
                    "overdue": bool(getattr(case, deadline)) and now > getattr(case, deadline),
                }
                for case in page.rows
            ]
            return Response(page_data(request, page, QueueRowSerializer(rows, many=True).data))

    OfficeQueueApi.__name__ = OfficeQueueApi.__qualname__ = f"Office{queue.title()}QueueApi"
    return OfficeQueueApi


OFFICE_QUEUE_VIEWS = {queue: _queue_view(queue) for queue in QUEUES}


class ReferralRowSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")
    office = OfficeRefSerializer()

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "office",
            "law",
            "status",
            "decide_due_at",
            "decide_due_provisional",
            "extended",
            "created_at",
        ]


class OfficeReferralListApi(_ListApi):
    @extend_schema(
        operation_id="office_referrals",
        summary="Open enforcement referrals (regulator staff)",
        description="Open referrals (诉转案) of the office's subtree, the nearest decision "
        "deadline first.",
        parameters=[CURSOR_PARAMETER],
        responses={
            200: paged(ReferralRowSerializer, "ReferralPage"),
            **error_responses(*COMMON_ERRORS),
        },
        tags=["lists"],
    )
    def get(self, request: Request) -> Response:
        office = _office(request)
        page = office_referrals(office, cursor=cursor_of(request))
        return Response(page_data(request, page, ReferralRowSerializer(page.rows, many=True).data))
