from django.urls import path

from . import views

app_name = "consumers"
urlpatterns = [path("", views.home, name="home")]
