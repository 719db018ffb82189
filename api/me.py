"""Who the caller is: the role, the merchant or office, and the token in use."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role, merchant_membership, regulator_membership, role_of

from .cases import MerchantRefSerializer, OfficeRefSerializer
from .errors import error_responses
from .models import ApiToken


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    role = serializers.ChoiceField(
        choices=Role.choices, allow_null=True, help_text=_("Which lists are the caller's.")
    )
    merchant_role = serializers.CharField(allow_null=True)
    merchant = MerchantRefSerializer(allow_null=True)
    office = OfficeRefSerializer(allow_null=True)
    office_role = serializers.CharField(allow_null=True)
    token = TokenInfoSerializer(allow_null=True, help_text=_("The token in use, if any."))


class MeApi(APIView):
    token_scopes = tuple(ApiToken.Scope)

    @extend_schema(
        operation_id="me",
        summary="Who am I",
        responses={200: MeSerializer, **error_responses(401, 403, 429)},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        staff, officer = merchant_membership(user), regulator_membership(user)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "name": str(user),
            "role": role_of(user),
            "merchant_role": staff.role if staff else None,
            "merchant": staff.merchant if staff else None,
            "office": officer.office if officer else (token.account.office if token else None),
            "office_role": officer.role if officer else None,
            "token": token,
        }
        return Response(MeSerializer(data).data)
