from django.urls import path

from . import views

app_name = "consumers"
urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/new/businesses/", views.merchant_results, name="merchant_results"),
    path("complaints/<str:number>/filed/", views.filed, name="filed"),
]
