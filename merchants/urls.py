from django.urls import path

from . import views

app_name = "merchants"
urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/acknowledge/", views.acknowledge_many, name="acknowledge_many"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("templates/", views.reply_templates, name="reply_templates"),
    path("templates/<int:pk>/", views.reply_templates, name="reply_template_edit"),
    path("templates/<int:pk>/delete/", views.reply_template_remove, name="reply_template_remove"),
]
# Onboarding, the business profile and staff (product §3).
urlpatterns += [
    path("apply/", views.apply, name="apply"),
    path("status/", views.status, name="status"),
    path("status/licence/", views.licence, name="licence"),
    path("profile/", views.profile, name="profile"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:pk>/role/", views.staff_role, name="staff_role"),
    path("staff/<int:pk>/remove/", views.staff_remove_member, name="staff_remove"),
    path(
        "staff/invitations/<int:pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("join/<str:token>/", views.join, name="join"),
]
# Webhooks for the merchant's integrations (docs/webhooks.md).
urlpatterns += [
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("webhooks/<int:pk>/delete/", views.webhook_remove, name="webhook_remove"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver_one,
        name="webhook_redeliver",
    ),
]
# API tokens for the merchant's integrations (docs/api.md).
urlpatterns += [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
