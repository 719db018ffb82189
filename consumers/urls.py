from django.urls import path

from . import views

app_name = "consumers"
urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
]
