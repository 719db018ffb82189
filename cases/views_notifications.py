"""The notification list (product §5): what each person was told, in the portal, for every role.

Opening a notification marks it read and goes to its case (or, for a merchant owner told that a
webhook was disabled, to the webhook); another person's notification is "not found".
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.paging import keyset_page

from .models import Notification
from .notifications import (
    notification_get_for_user,
    notification_list_for_user,
    notification_mark_read,
    notifications_mark_all_read,
)

PAGE_SIZE = 30


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, unread ones marked; keyset pages."""
    page = keyset_page(
        notification_list_for_user(request.user),
        field="created_at",
        descending=True,
        cursor=request.GET.get("after"),
        size=PAGE_SIZE,
        nulls=False,
    )
    return render(request, "cases/notifications.html", {"page": page})


def _target(notification: Notification) -> str:
    if notification.kind == Notification.Kind.WEBHOOK_DISABLED:
        return reverse("merchants:webhook", args=[notification.data["endpoint"]])
    return reverse("cases:detail", args=[notification.event.case.number])


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_get_for_user(request.user, pk)
    if notification is None:
        raise Http404("No such notification.")
    notification_mark_read(notification=notification)
    return redirect(_target(notification))


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")
