"""Every action of the case engine: ``POST /api/v1/cases/<number>/actions/<action>/``.

Each action is parsed by the same form as on the case page (``cases.forms.ACTION_FORMS``), which
calls its one service; the engine decides whether the caller may take it now. The schema of each
request body is derived from that form, so the two cannot drift apart.
"""

from django import forms
from django.utils.text import camel_case_to_spaces
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.forms import ACTION_FORMS, ActionForm
from cases.models import Agreement, CallbackVisit, Case, Evidence, Message, Offer, Referral
from cases.rules import Action, case_party
from cases.selectors import case_get_for_user
from cases.services.evidence import evidence_precheck
from core.db import retry_once_on_conflict

from .cases import NUMBER_PARAMETER, CaseSummarySerializer, available_actions, case_summary
from .errors import error_responses
from .parsers import JSONParser

# What an action made, as the answer names it.
CREATED = {
    Message: "message",
    Offer: "offer",
    Agreement: "agreement",
    Evidence: "evidence",
    Referral: "referral",
    CallbackVisit: "callback",
}


class CaseStateSerializer(CaseSummarySerializer):
    available_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=Action.choices),
        help_text=gettext_lazy("What the caller may do next."),
    )


class CreatedSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=sorted(CREATED.values()))
    id = serializers.IntegerField()


class ActionResultSerializer(serializers.Serializer):
    case = CaseStateSerializer(help_text=gettext_lazy("The case after the action."))
    created = CreatedSerializer(
        allow_null=True, help_text=gettext_lazy("What the action made, if anything.")
    )


# --- The request body of each action, from its form --------------------------------------------


def _choices(field: forms.ChoiceField) -> list:
    return [(key, label) for key, label in field.choices if key not in ("", None)]


def serializer_field(field: forms.Field) -> serializers.Field:
    """The DRF field documenting a form field (the form itself parses the input)."""
    common = {"required": field.required, "help_text": field.label}
    if isinstance(field, forms.ModelChoiceField):
        return serializers.PrimaryKeyRelatedField(
            queryset=field.queryset.model._default_manager.all(), **common
        )
    if isinstance(field, forms.ChoiceField):
        allow_blank = not field.required or any(key == "" for key, _label in field.choices)
        return serializers.ChoiceField(choices=_choices(field), allow_blank=allow_blank, **common)
    if isinstance(field, forms.NullBooleanField):
        return serializers.BooleanField(allow_null=True, required=False, help_text=field.label)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(required=False, default=False, help_text=field.label)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits,
            decimal_places=field.decimal_places,
            min_value=0,
            coerce_to_string=True,
            **common,
        )
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.FileField):
        return serializers.FileField(**common)
    return serializers.CharField(
        max_length=field.max_length, allow_blank=not field.required, **common
    )


def _form_fields(form_class: type[ActionForm]) -> dict[str, forms.Field]:
    # Fields may be added when the form is made (reason codes): make one for an unsaved case.
    return form_class(case=Case()).fields


def request_serializer(action: Action) -> type[serializers.Serializer] | None:
    fields = _form_fields(ACTION_FORMS[action])
    if not fields:
        return None
    name = "".join(part.title() for part in action.value.split("_")) + "Action"
    attrs = {name: serializer_field(field) for name, field in fields.items()}
    return type(name, (serializers.Serializer,), {**attrs, "__module__": __name__})


def takes_files(action: Action) -> bool:
    return any(isinstance(f, forms.FileField) for f in _form_fields(ACTION_FORMS[action]).values())


# --- Taking an action --------------------------------------------------------------------------


def _plain(value, name: str):
    """A JSON value as the form expects it from a browser: text, or a yes/no."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise serializers.ValidationError({name: [_("Send a single value.")]}, code="invalid")
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise serializers.ValidationError({name: [_("This text cannot be stored.")]})
    return value


def _form_input(request: Request, case: Case, action: Action):
    """The request's fields, named as the action's form names them (with its prefix)."""
    data = request.data
    if not hasattr(data, "items"):
        raise serializers.ValidationError(_("Send the fields of the action as an object."))
    if hasattr(data, "dict"):  # a form or multipart body
        data = data.dict()
    prefix = action.value
    fields = ACTION_FORMS[action](case=case).fields
    values = {
        f"{prefix}-{name}": _plain(value, name)
        for name, value in data.items()
        if name in fields and name not in request.FILES
    }
    files = {f"{prefix}-{name}": file for name, file in request.FILES.items()}
    return values, files


def _form_errors(form: ActionForm) -> serializers.ValidationError:
    detail = {}
    for name, errors in form.errors.as_data().items():
        key = "non_field_errors" if name == "__all__" else name
        detail[key] = [
            serializers.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
    return serializers.ValidationError(detail)


def _state(request: Request, case: Case) -> dict:
    """The case after the action, as the caller now stands on it (a transferred case may be out
    of the caller's sight: nothing more to do then)."""
    case = Case.objects.select_related("merchant", "office", "consumer").get(pk=case.pk)
    party = case_party(case, request.user)
    return {
        **case_summary(case),
        "available_actions": available_actions(request, case, party) if party else [],
    }


def act(request: Request, number: str, action: Action) -> Response:
    case, _party = case_get_for_user(request.user, number, request)
    values, files = _form_input(request, case, action)
    form = ACTION_FORMS[action](values, files, case=case)
    if not form.is_valid():
        raise _form_errors(form)
    if files and takes_files(action):
        # Before any file is read: whether the caller may take the action now at all.
        evidence_precheck(case, request.user, action)
    made = retry_once_on_conflict(form.run)(actor=request.user)
    kind = CREATED.get(type(made))
    created = {"type": kind, "id": made.pk} if kind else None
    return Response(
        ActionResultSerializer({"case": _state(request, case), "created": created}).data
    )


def _view(action: Action) -> type[APIView]:
    files = takes_files(action)

    class ActionApi(APIView):
        parser_classes = (
            [MultiPartParser, FormParser] if files else [JSONParser, FormParser, MultiPartParser]
        )

        @extend_schema(
            operation_id=f"case_action_{action.value}",
            summary=str(action.label),
            description=(
                f"Possible when the case's `available_actions` lists `{action.value}`; refused "
                "with 409 `action_not_available` otherwise. Invalid input is answered 400, "
                "`field` naming the input." + (" Send it as multipart/form-data." if files else "")
            ),
            parameters=[NUMBER_PARAMETER],
            request=request_serializer(action),
            responses={
                200: ActionResultSerializer,
                **error_responses(400, 401, 403, 404, 409, *((415,) if files else ()), 429),
            },
            tags=["actions"],
        )
        def post(self, request: Request, number: str) -> Response:
            return act(request, number, action)

    name = "Case" + "".join(part.title() for part in action.value.split("_")) + "Api"
    ActionApi.__name__ = ActionApi.__qualname__ = name
    ActionApi.__doc__ = camel_case_to_spaces(name)
    return ActionApi


# One view per action, in the engine's order.
ACTION_VIEWS: dict[Action, type[APIView]] = {
    action: _view(action) for action in Action if action in ACTION_FORMS
}
