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
