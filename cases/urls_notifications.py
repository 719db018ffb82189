"""/notifications/: the notification list of every signed-in person (cases.views_notifications)."""

from django.urls import path

from . import views_notifications as views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read/", views.notification_read_all, name="read_all"),
]
