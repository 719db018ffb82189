from django.urls import path

from . import views

app_name = "regulators"
urlpatterns = [
    path("", views.home, name="home"),
    path("queue/<str:name>/", views.queue, name="queue"),
    path("referrals/", views.referrals, name="referrals"),
    path("register/", views.register, name="register"),
    path("register/businesses/", views.merchant_results, name="merchant_results"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
]
# Supervision of merchants, callbacks, steering businesses into ODR, abnormal complainants.
urlpatterns += [
    path("merchants/", views.merchants, name="merchants"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant"),
    path("merchants/<int:pk>/licence/", views.merchant_licence, name="merchant_licence"),
    path("merchants/<int:pk>/<str:action>/", views.merchant_act, name="merchant_act"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("businesses/", views.businesses, name="businesses"),
    path("businesses/<int:pk>/invite/", views.business_invite_page, name="business_invite"),
    path("businesses/invitations/", views.invitations, name="invitations"),
    path(
        "businesses/invitations/<int:pk>/letter/",
        views.invitation_letter,
        name="invitation_letter",
    ),
    path("complainants/", views.complainants, name="complainants"),
    path("complainants/<int:pk>/", views.complainant, name="complainant"),
    # Merchant staff flag a complaint against them for the regulator (product §6).
    path("flag/<str:number>/", views.complaint_flag, name="complaint_flag"),
]
