from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`): offices, merchants, staff, consumers and cases in
    every status, made through the apps' services. It sits above every app; nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
