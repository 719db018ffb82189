from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("track/", views.track, name="track"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/thread/", views.thread, name="thread"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path("<str:number>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
