"""/api/: the schema, its documentation and version 1 of the API (docs/api.md)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import cases, hotline, lists, me, views
from .actions import ACTION_VIEWS

app_name = "api"
register_converter(cases.CaseNumberConverter, "api_case_number")

CASE = "v1/cases/<api_case_number:number>/"

urlpatterns = [
    path("schema/", views.read_only(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        views.read_only(SpectacularSwaggerView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        views.read_only(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    path("v1/me/", me.MeApi.as_view(), name="me"),
    path("v1/consumer/cases/", lists.ConsumerCaseListApi.as_view(), name="consumer_cases"),
    path("v1/merchant/inbox/", lists.MerchantInboxApi.as_view(), name="merchant_inbox"),
    path(
        "v1/merchant/inbox/counts/",
        lists.MerchantInboxCountsApi.as_view(),
        name="merchant_inbox_counts",
    ),
    *[
        path(f"v1/office/queues/{queue}/", view.as_view(), name=f"office_queue_{queue}")
        for queue, view in lists.OFFICE_QUEUE_VIEWS.items()
    ],
    path("v1/office/referrals/", lists.OfficeReferralListApi.as_view(), name="office_referrals"),
    path(CASE, cases.CaseDetailApi.as_view(), name="case"),
    path(CASE + "thread/", cases.CaseThreadApi.as_view(), name="case_thread"),
    path(
        CASE + "evidence/<int:evidence_id>/",
        cases.CaseEvidenceApi.as_view(),
        name="case_evidence",
    ),
    *[
        path(f"{CASE}actions/{action.value}/", view.as_view(), name=f"case_action_{action.value}")
        for action, view in ACTION_VIEWS.items()
    ],
    path(
        "v1/hotline/complaints/",
        hotline.HotlineComplaintApi.as_view(),
        name="hotline_complaints",
    ),
    # Anything else under /api/ is a JSON 404, like every other error of the API.
    re_path(r"^.*$", views.not_found, name="not_found"),
]
