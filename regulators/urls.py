from django.urls import path

from . import views

app_name = "regulators"
urlpatterns = [
    path("", views.home, name="home"),
    path("queue/<str:name>/", views.queue, name="queue"),
    path("referrals/", views.referrals, name="referrals"),
    path("register/", views.register, name="register"),
    path("register/businesses/", views.merchant_results, name="merchant_results"),
]
