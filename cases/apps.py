from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Load the tasks module once the models are ready: it connects the notification task to
        # the events that case operations announce (``cases.op.events_recorded``).
        import_module(f"{self.name}.tasks")
