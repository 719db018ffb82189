"""12345 hotline intake: a regulator office's hotline token registers a complaint the 12345
citizen hotline transferred to it (channel ``hotline_12345``). The hotline's ticket number is
kept on the case and is unique: the same transfer sent again answers 200 with the case it made
(201 the first time), never a second case."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Remedy, Status
from cases.services import COMPLAINT_TEXT_LIMITS
from core.db import retry_once_on_conflict

from .cases import MerchantRefSerializer, OfficeRefSerializer
from .errors import error_responses
from .models import ApiToken
from .services import TICKET_MAX, hotline_complaint_register
from .throttling import HotlineRateLimits


class ComplaintSerializer(serializers.Serializer):
    """A complaint as the API takes it: the business it is against (found by its credit code,
    or its name in its region, or recorded anew) and what happened. The engine checks the rest
    (text limits, the purchase date, amounts)."""

    merchant_name = serializers.CharField(max_length=200)
    merchant_region_code = serializers.CharField(
        max_length=9, help_text=_("The business's region code (GB/T 2260), e.g. 140105.")
    )
    merchant_credit_code = serializers.CharField(
        max_length=18,
        required=False,
        allow_blank=True,
        help_text=_("The unified social credit code, if known: it identifies the business."),
    )
    merchant_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    subject = serializers.CharField(max_length=COMPLAINT_TEXT_LIMITS["subject"])
    facts = serializers.CharField(max_length=COMPLAINT_TEXT_LIMITS["facts"])
    claim = serializers.CharField(max_length=COMPLAINT_TEXT_LIMITS["claim"])
    claim_remedy = serializers.ChoiceField(choices=Remedy.choices, required=False, allow_blank=True)
    amount_claimed = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    amount_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    purchase_date = serializers.DateField(required=False, allow_null=True)
    order_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class HotlineComplaintSerializer(ComplaintSerializer):
    ticket = serializers.CharField(
        max_length=TICKET_MAX, help_text=_("The hotline's own ticket number.")
    )
    consumer_phone = serializers.RegexField(
        r"^1[3-9][0-9]{9}$",
        help_text=_("The consumer's mainland mobile number: their account, or a new one."),
    )
    consumer_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class HotlineCaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    ticket = serializers.CharField(source="hotline_ticket")
    status = serializers.ChoiceField(choices=Status.choices)
    channel = serializers.CharField()
    merchant = MerchantRefSerializer()
    office = OfficeRefSerializer()
    filed_at = serializers.DateTimeField()
    created = serializers.BooleanField(help_text=_("False when the ticket was registered before."))


class HotlineComplaintApi(APIView):
    tokens_only = True
    token_scopes = (ApiToken.Scope.HOTLINE,)
    throttle_classes = [HotlineRateLimits]

    @extend_schema(
        operation_id="hotline_complaint_register",
        summary="Register a complaint transferred by the 12345 hotline",
        description="With a regulator office's hotline token only. The consumer is found by "
        "mobile number (or given an account); the business by its credit code, or its name in "
        "its region (or recorded anew); it must be in the office's jurisdiction. The case goes "
        "to the business if it is an active ODR merchant, else to the regulator office.",
        request=HotlineComplaintSerializer,
        responses={
            201: OpenApiResponse(HotlineCaseSerializer, description="A new case."),
            200: OpenApiResponse(
                HotlineCaseSerializer,
                description="The case this ticket made before (a repeated transfer).",
            ),
            **error_responses(400, 401, 403, 409, 429),
        },
        tags=["hotline"],
    )
    def post(self, request: Request) -> Response:
        serializer = HotlineComplaintSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case, created = retry_once_on_conflict(hotline_complaint_register)(
            token=request.auth, **serializer.validated_data
        )
        case.created = created
        return Response(
            HotlineCaseSerializer(case).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
